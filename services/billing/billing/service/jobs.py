"""The scheduler's work, in batches it claims (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so that any
number of schedulers run side by side and each item is handled by exactly one of them: payment
reminders and the deadline (R4), refund payouts, escalations of claims near their limit (R9), the
sandbox's notices, and payments whose opening at the provider was cut short. Whatever calls the
provider does so after the claiming transaction has committed, never inside it."""

from __future__ import annotations

import logging
from functools import partial

from sqlalchemy import Table, and_, or_, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.contracts import PAYMENT_DEADLINE_EXPIRED, PAYMENT_REMINDER_DUE, REFUND_ESCALATED
from mumaris_shared.db import claim
from mumaris_shared.errors import DomainError
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..adapters.orm import fee_accounts_table, payments_table, refunds_table
from ..adapters.sandbox import SandboxProvider
from ..domain.errors import ProviderRefused
from ..domain.invoices import FeeAccountStatus, InvoiceStatus
from ..domain.payments import PaymentStatus, RefundRequest
from ..domain.refunds import RefundStatus
from .context import Billing, invoice_data, request_data
from .settlement import settle_refund

log = logging.getLogger(__name__)


def run_deadlines(b: Billing) -> int:
    """One batch of requests whose next reminder or deadline has come: remind, or expire; how
    many were handled. Set-based: the batch's invoices are read in one query, and the requests
    that expire are closed, their invoices expired and their events recorded in one statement each."""
    now, policy, table = b.clock(), b.settings.deadlines, fee_accounts_table
    with b.db.transaction() as session:
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == FeeAccountStatus.OPEN,
            table.c.next_check_at <= now,
            order_by=table.c.next_check_at,
            limit=b.settings.scheduler_batch,
        )
        unpaid: dict[str, list[Row]] = {account.application_number: [] for account in claimed}
        for invoice in repo.invoices_of_requests(session, list(unpaid)):
            if invoice.status == InvoiceStatus.UNPAID:
                unpaid[invoice.application_number].append(invoice)
        expired, events = [], []
        for account in claimed:
            step = policy.step(account.submitted_at, account.due_at, set(account.reminders_sent), now)
            number, request = account.application_number, request_data(account.application_number, account.account_id)
            if step.ended:
                expired.append(number)
                events.append(
                    b.outbox.event(
                        PAYMENT_DEADLINE_EXPIRED,
                        {**request, "due_at": isoformat(account.due_at), "expired_at": isoformat(now)},
                    )
                )
                continue
            if step.remind is not None:
                reminder = {
                    **request,
                    "due_at": isoformat(account.due_at),
                    "before_deadline": step.remind.name,
                    "invoices": [invoice_data(row) for row in unpaid[number]],
                }
                events.append(b.outbox.event(PAYMENT_REMINDER_DUE, reminder))
            repo.update_fee_account(
                session,
                number,
                next_check_at=step.next_check_at,
                reminders_sent=[*account.reminders_sent, *step.mark_sent],
            )
        if expired:
            repo.expire_fee_accounts(session, expired, now)
        b.outbox.add_many(session, events)
        return len(claimed)


def run_refund_payouts(b: Billing) -> int:
    """One batch of approved refunds not yet started (and of refunds whose start was cut short:
    `paying` with no reference once BILLING_PROVIDER_LEASE has passed). Each is claimed and marked
    `paying` in one short transaction, so however many schedulers run it is started by one of
    them; then started at the provider with no transaction open (idempotent on the refund id), and
    its reference recorded, with its outcome when the provider answered it at once.

    Refunds of one charge are started one at a time: what billing knows was paid back of it is
    how a provider without idempotency keys tells a lost answer from a refund still to make."""
    now, table, lease = b.clock(), refunds_table, b.clock() - b.settings.provider_lease
    starting: list[RefundRequest] = []
    with b.db.transaction() as session:
        claimed = claim(
            session,
            b.db,
            table,
            or_(
                table.c.status == RefundStatus.APPROVED,
                and_(
                    table.c.status == RefundStatus.PAYING,
                    table.c.provider_reference.is_(None),
                    table.c.payout_started_at <= lease,
                ),
            ),
            table.c.amount_halalas > 0,
            order_by=table.c.decided_at,
            limit=b.settings.scheduler_batch,
        )
        for refund in claimed:
            payment = repo.payment(session, refund.payment_id, lock=True)
            others = [r for r in repo.refunds_of_payment(session, payment.id) if r.id != refund.id]
            if any(r.status == RefundStatus.PAYING and r.provider_reference is None for r in others):
                continue  # another refund of this charge is being started: this one waits its turn
            repo.update_refund(session, refund.id, status=RefundStatus.PAYING, payout_started_at=now)
            starting.append(
                RefundRequest(
                    id=refund.id,
                    payment_id=payment.id,
                    charge_reference=payment.charge_reference or payment.provider_reference,
                    amount_halalas=refund.amount_halalas,
                    refunded_before=sum(r.amount_halalas for r in others if _paid_back(r)),
                )
            )
    for request in starting:
        _start_refund(b, request)
    return len(starting)  # those left waiting for their turn are claimed again next tick


def _paid_back(refund) -> bool:
    """Paid back at the provider, as far as billing knows: paid, or started there."""
    return refund.status == RefundStatus.PAID or (
        refund.status == RefundStatus.PAYING and refund.provider_reference is not None
    )


def _start_refund(b: Billing, request: RefundRequest) -> None:
    try:
        started = b.provider.start_refund(request)
    except ProviderRefused as exc:
        log.error("refund %s: the provider refused it (%s); left payout_failed", request.id, exc.details)
        with b.db.transaction() as session:
            repo.update_refund(session, request.id, status=RefundStatus.PAYOUT_FAILED)
        return
    except DomainError as exc:
        log.warning("refund %s: not started (%s); tried again after the lease", request.id, exc.message)
        return
    now = b.clock()
    with b.transaction() as (session, publish):
        refund = repo.refund(session, request.id, lock=True)
        if refund.status != RefundStatus.PAYING or refund.provider_reference is not None:
            return
        sandbox = isinstance(b.provider, SandboxProvider)
        repo.update_refund(
            session, refund.id, provider_reference=started.reference, next_notice_at=now if sandbox else None
        )
        if started.outcome is not None:
            settle_refund(session, publish, refund, started.outcome, now)


def deliver_sandbox_notices(b: Billing) -> int:
    """The sandbox's side (it keeps no state of its own): for payments completed in it and refunds
    `paying` in it whose notice is due, play the bank and send the signed webhook, with no
    transaction open. A notice not acknowledged is sent again after BILLING_SANDBOX_RESEND_AFTER;
    the webhook settles a payment or a refund once whatever comes."""
    if not isinstance(b.provider, SandboxProvider):
        return 0
    with b.db.transaction() as session:
        payments = _claim_due_notices(b, session, payments_table, PaymentStatus.PENDING)
        refunds = _claim_due_notices(b, session, refunds_table, RefundStatus.PAYING)
    notices = [(f"payment {p.id}", partial(b.provider.complete, p.id, p.sandbox_outcome)) for p in payments]
    notices += [(f"refund {r.id}", partial(b.provider.complete_refund, r.id)) for r in refunds]
    for what, send in notices:
        try:
            status, answer = send()
            if status >= 400:
                log.warning("sandbox: %s webhook answered %s: %s", what, status, answer)
        except OSError as exc:
            log.warning("sandbox: %s webhook unreachable (%s); sent again later", what, exc)
    return len(notices)


def _claim_due_notices(b: Billing, session: Session, table: Table, status: str) -> list[Row]:
    """Rows in `status` whose sandbox notice is due, their next one set BILLING_SANDBOX_RESEND_AFTER
    from now (sent again then unless acknowledged meanwhile)."""
    now = b.clock()
    claimed = claim(
        session,
        b.db,
        table,
        table.c.status == status,
        table.c.next_notice_at <= now,
        order_by=table.c.next_notice_at,
        limit=b.settings.scheduler_batch,
    )
    if claimed:
        session.execute(
            update(table)
            .where(table.c.id.in_([row.id for row in claimed]))
            .values(next_notice_at=now + b.settings.sandbox_resend_after)
        )
    return claimed


def reconcile_openings(b: Billing) -> int:
    """Payments recorded but never known to be open at the provider (the call that opened them
    died, or its answer was lost) once BILLING_PROVIDER_LEASE has passed: the provider is asked for
    each by our id. Found, its reference is recorded, so its notices find it; not found, it never
    reached the provider (its payer was never sent to pay it) and is marked failed."""
    now, table = b.clock(), payments_table
    expired = now - b.settings.provider_lease
    with b.db.transaction() as session:
        claimed = claim(
            session,
            b.db,
            table,
            table.c.status == PaymentStatus.PENDING,
            table.c.provider_reference.is_(None),
            table.c.created_at <= expired,
            or_(table.c.opening_at.is_(None), table.c.opening_at <= expired),
            order_by=table.c.created_at,
            limit=b.settings.scheduler_batch,
        )
        for payment in claimed:
            repo.update_payment(session, payment.id, opening_at=now)
    for payment in claimed:
        try:
            found = b.provider.find(payment.id)
        except DomainError as exc:
            log.warning("payment %s: not reconciled (%s); tried again after the lease", payment.id, exc.message)
            continue
        with b.db.transaction() as session:
            if found is not None:
                repo.record_opened(session, payment.id, found.reference, found.redirect_url)
            else:
                repo.fail_unopened(session, payment.id, b.clock())
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
