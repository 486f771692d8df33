"""The scheduler's work, in batches it claims (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so that any
number of schedulers run side by side and each item is handled by exactly one of them: payment
reminders and the deadline (R4), refund payouts, and escalations of claims near their limit (R9)."""

from __future__ import annotations

import logging

from mumaris_shared.contracts import PAYMENT_DEADLINE_EXPIRED, PAYMENT_REMINDER_DUE, REFUND_ESCALATED
from mumaris_shared.db import claim
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..adapters.orm import fee_accounts_table, refunds_table
from ..domain.invoices import FeeAccountStatus, InvoiceStatus
from ..domain.payments import RefundRequest
from ..domain.refunds import RefundStatus
from .context import Billing, invoice_data, request_data

log = logging.getLogger(__name__)


def run_deadlines(b: Billing) -> int:
    """One batch of requests whose next reminder or deadline has come: remind, or expire; how
    many were handled."""
    now, policy, table = b.clock(), b.settings.deadlines, fee_accounts_table
    with b.transaction() as (session, publish):
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == FeeAccountStatus.OPEN,
            table.c.next_check_at <= now,
            order_by=table.c.next_check_at,
            limit=b.settings.scheduler_batch,
        )
        for account in claimed:
            step = policy.step(account.submitted_at, account.due_at, set(account.reminders_sent), now)
            number, request = account.application_number, request_data(account.application_number, account.account_id)
            unpaid = [row for row in repo.invoices_of(session, number) if row.status == InvoiceStatus.UNPAID]
            if step.ended:
                for invoice in unpaid:
                    repo.update_invoice(session, invoice.id, status=InvoiceStatus.EXPIRED, closed_at=now)
                repo.update_fee_account(
                    session, number, status=FeeAccountStatus.EXPIRED, expired_at=now, next_check_at=None
                )
                publish(
                    PAYMENT_DEADLINE_EXPIRED,
                    {**request, "due_at": isoformat(account.due_at), "expired_at": isoformat(now)},
                )
                continue
            if step.remind is not None:
                publish(
                    PAYMENT_REMINDER_DUE,
                    {
                        **request,
                        "due_at": isoformat(account.due_at),
                        "before_deadline": step.remind.name,
                        "invoices": [invoice_data(row) for row in unpaid],
                    },
                )
            repo.update_fee_account(
                session,
                number,
                next_check_at=step.next_check_at,
                reminders_sent=[*account.reminders_sent, *step.mark_sent],
            )
        return len(claimed)


def run_refund_payouts(b: Billing) -> int:
    """One batch of approved refunds not yet started: each is started at the provider (idempotent
    on the refund id) and becomes `paying`, in the transaction that claimed it, so however many
    schedulers run, each refund is started by one of them, once."""
    now, table = b.clock(), refunds_table
    with b.db.transaction() as session:
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == RefundStatus.APPROVED,
            table.c.amount_halalas > 0,
            order_by=table.c.decided_at,
            limit=b.settings.scheduler_batch,
        )
        for refund in claimed:
            payment = repo.payment(session, refund.payment_id)
            reference = b.provider.start_refund(
                RefundRequest(
                    id=refund.id,
                    payment_id=payment.id,
                    payment_reference=payment.provider_reference,
                    amount_halalas=refund.amount_halalas,
                )
            )
            repo.update_refund(
                session,
                refund.id,
                status=RefundStatus.PAYING,
                provider_reference=reference,
                payout_started_at=now,
                next_notice_at=now,
            )
        return len(claimed)


def deliver_sandbox_refund_notices(b: Billing) -> int:
    """The sandbox's side of a refund (it keeps no state of its own): for refunds `paying` in it
    whose notice is due, play the bank and send the signed webhook. A notice not acknowledged is
    sent again after BILLING_SANDBOX_RESEND_AFTER; the webhook pays a refund once whatever comes."""
    if b.settings.payment_provider != "sandbox":
        return 0
    now, table = b.clock(), refunds_table
    with b.db.transaction() as session:
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == RefundStatus.PAYING,
            table.c.next_notice_at <= now,
            order_by=table.c.next_notice_at,
            limit=b.settings.scheduler_batch,
        )
        for refund in claimed:
            repo.update_refund(session, refund.id, next_notice_at=now + b.settings.sandbox_resend_after)
    for refund in claimed:  # no transaction open: the webhook opens its own
        try:
            status, answer = b.provider.complete_refund(refund.id)
            if status >= 400:
                log.warning("sandbox: refund %s webhook answered %s: %s", refund.id, status, answer)
        except OSError as exc:
            log.warning("sandbox: refund %s webhook unreachable (%s); sent again later", refund.id, exc)
    return len(claimed)


def run_refund_escalations(b: Billing) -> int:
    """One batch of claims still waiting for a reviewer that the policy says are due for
    escalation (`RefundPolicy.escalation_horizon`): each escalated once (claimed, marked,
    announced in one transaction)."""
    now, table, policy = b.clock(), refunds_table, b.settings.refunds
    with b.transaction() as (session, publish):
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == RefundStatus.PENDING_REVIEW,
            table.c.escalated_at.is_(None),
            table.c.decide_by <= policy.escalation_horizon(now),
            order_by=table.c.decide_by,
            limit=b.settings.scheduler_batch,
        )
        for refund in claimed:
            repo.update_refund(session, refund.id, escalated_at=now)
            publish(
                REFUND_ESCALATED,
                {
                    **request_data(refund.application_number, refund.account_id),
                    "refund_id": refund.id,
                    "invoice_id": refund.invoice_id,
                    "amount_halalas": refund.amount_halalas,
                    "claimed_at": isoformat(refund.created_at),
                    "decide_by": isoformat(refund.decide_by),
                },
            )
        return len(claimed)
