"""Paying an invoice (R5): a payment opened at the provider, idempotent on the caller's key; the
provider's signed webhook saying how it ended — a capture pays the invoice (or, when the invoice
no longer owes it, is refunded in full), a refund notice marks a refund paid. The sandbox provider
plays the payer and the bank in development."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import PAYMENT_RECEIVED, REFUND_PAID
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..domain.errors import (
    IdempotencyKeyReused,
    NoSuch,
    NotYours,
    PaymentNotPending,
    WebhookReplayed,
    WebhookUnreachable,
)
from ..domain.invoices import InvoiceStatus, check_payable, over_payment_rule
from ..domain.payments import (
    REFUND_NOTICE,
    REFUNDED,
    SADAD,
    PaymentRequest,
    PaymentStatus,
    RefundWebhookEvent,
    WebhookEvent,
)
from ..domain.refunds import RefundStatus
from .context import Billing, Publish, request_data, visible_to
from .settlement import refund_in_full, settle_if_done

IGNORED = "ignored"  # a webhook's effect when it changes nothing


def start_payment(
    b: Billing,
    principal: Principal,
    invoice_id: str,
    method: str,
    key: str,
    fingerprint: str,
    answer: Callable[[Row], dict],
) -> tuple[int, dict]:
    """A pending payment of the invoice at the provider, answered as `answer` renders it.
    Repeating the call with the same Idempotency-Key and the same request answers what the first
    answered, doing nothing."""
    now = b.clock()
    try:
        with b.db.transaction() as session:
            stored = _stored_answer(session, principal, key, fingerprint)
            if stored is not None:
                return stored
            invoice = repo.invoice(session, invoice_id)
            if invoice is None:
                raise NoSuch("invoice")
            if invoice.account_id != principal.id:
                raise NotYours("this invoice is not yours")
            repo.fee_account(session, invoice.application_number, lock=True)
            invoice = repo.invoice(session, invoice_id)  # as it is now that no one else changes it
            check_payable(invoice.status)
            bill_number = invoice.sadad_bill_number if method == SADAD else None
            request = PaymentRequest(
                id=repo.new_id(), method=method, amount_halalas=invoice.amount_halalas, bill_number=bill_number
            )
            payment = repo.add_payment(
                session,
                id=request.id,
                invoice_id=invoice.id,
                account_id=principal.id,
                method=method,
                amount_halalas=invoice.amount_halalas,
                status=PaymentStatus.PENDING,
                provider=b.provider.name,
                provider_reference=b.provider.start(request),
                bill_number=bill_number,
                created_at=now,
            )
            body = answer(payment)
            repo.store_answer(session, principal.id, key, fingerprint, 201, body, now)
    except IntegrityError:
        # The same key, used concurrently: the other call stored its answer first.
        with b.db.transaction() as session:
            stored = _stored_answer(session, principal, key, fingerprint)
        if stored is None:
            raise
        return stored
    return 201, body


def _stored_answer(session: Session, principal: Principal, key: str, fingerprint: str) -> tuple[int, dict] | None:
    stored = repo.stored_answer(session, principal.id, key)
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return stored.status_code, stored.response


def payment(b: Billing, principal: Principal, payment_id: str) -> Row:
    with b.db.transaction() as session:
        return visible_to(principal, repo.payment(session, payment_id), "payment")


def complete_sandbox_payment(b: Billing, principal: Principal, payment_id: str, outcome: str) -> dict:
    """Play the payer and the bank: the sandbox settles the payment with `outcome` and calls
    the webhook. No transaction is open while it does (the webhook opens its own)."""
    if b.settings.payment_provider != "sandbox":
        raise NoSuch("sandbox")
    with b.db.transaction() as session:
        found = repo.payment(session, payment_id)
    if found is None:
        raise NoSuch("payment")
    if found.account_id != principal.id:
        raise NotYours("this payment is not yours")
    if found.status != PaymentStatus.PENDING:
        raise PaymentNotPending(found.status)
    try:
        status, webhook_answer = b.provider.complete(payment_id, outcome)
    except OSError as exc:
        raise WebhookUnreachable(b.settings.webhook_url, str(exc)) from None
    return {"payment": payment_id, "outcome": outcome, "webhook": {"status": status, "answer": webhook_answer}}


def receive_webhook(b: Billing, headers: Mapping[str, str], body: bytes) -> dict:
    """The provider tells how a payment ended. Signed and fresh, seen once: a captured payment
    pays its invoice, or — when the invoice no longer owes it — is refunded in full."""
    event = b.provider.verify_webhook(headers, body)
    if isinstance(event, RefundWebhookEvent):
        return _receive_refund_notice(b, event)
    return _receive_payment_notice(b, event)


def _receive_payment_notice(b: Billing, event: WebhookEvent) -> dict:
    now = b.clock()
    try:
        with b.transaction() as (session, publish):
            if repo.webhook_seen(session, event.id):
                raise WebhookReplayed()
            # Written first: a concurrent delivery of the same event waits on it, then fails.
            repo.add_webhook_event(
                session,
                id=event.id,
                provider=b.provider.name,
                payment_id=event.payment_id,
                outcome=event.outcome,
                occurred_at=event.occurred_at,
                received_at=now,
                effect=IGNORED,
            )
            found = repo.payment(session, event.payment_id)
            if found is None:
                raise NoSuch("payment")
            effect = _settle_payment(b, session, publish, found, event.outcome, now)
            repo.set_webhook_effect(session, event.id, effect)
    except IntegrityError:
        raise WebhookReplayed() from None
    return {"id": event.id, "payment": event.payment_id, "effect": effect}


def _receive_refund_notice(b: Billing, event: RefundWebhookEvent) -> dict:
    """The provider paid a refund back (or could not). Seen once: a refund `paying` becomes
    `paid` and is announced; one in any other state — paid already — is left as it is."""
    now = b.clock()
    try:
        with b.transaction() as (session, publish):
            if repo.webhook_seen(session, event.id):
                raise WebhookReplayed()
            refund = repo.refund(session, event.refund_id)
            if refund is None:
                raise NoSuch("refund")
            # Written before the effect: a concurrent delivery of the same event waits on it, then fails.
            repo.add_webhook_event(
                session,
                id=event.id,
                provider=b.provider.name,
                kind=REFUND_NOTICE,
                payment_id=refund.payment_id or "",
                refund_id=refund.id,
                outcome=event.outcome,
                occurred_at=event.occurred_at,
                received_at=now,
                effect=IGNORED,
            )
            repo.fee_account(session, refund.application_number, lock=True)
            refund = repo.refund(session, event.refund_id, lock=True)
            effect = IGNORED
            if refund.status == RefundStatus.PAYING and event.outcome == REFUNDED:
                repo.update_refund(session, refund.id, status=RefundStatus.PAID, paid_at=now, next_notice_at=None)
                publish(
                    REFUND_PAID,
                    {
                        **request_data(refund.application_number, refund.account_id),
                        "refund_id": refund.id,
                        "invoice_id": refund.invoice_id,
                        "amount_halalas": refund.amount_halalas,
                        "paid_at": isoformat(now),
                    },
                )
                effect = "refund_paid"
            elif refund.status == RefundStatus.PAYING:
                repo.update_refund(session, refund.id, status=RefundStatus.PAYOUT_FAILED, next_notice_at=None)
                effect = "refund_failed"
            repo.set_webhook_effect(session, event.id, effect)
    except IntegrityError:
        raise WebhookReplayed() from None
    return {"id": event.id, "payment": refund.payment_id, "refund": refund.id, "effect": effect}


def _settle_payment(b: Billing, session: Session, publish: Publish, found: Row, outcome: str, now: datetime) -> str:
    invoice = repo.invoice(session, found.invoice_id)
    account = repo.fee_account(session, invoice.application_number, lock=True)
    found, invoice = repo.payment(session, found.id), repo.invoice(session, invoice.id)
    if found.status != PaymentStatus.PENDING:
        return IGNORED  # the provider told us before, under another event id
    if outcome == PaymentStatus.FAILED:
        repo.update_payment(session, found.id, status=PaymentStatus.FAILED, completed_at=now)
        return PaymentStatus.FAILED
    repo.update_payment(session, found.id, status=PaymentStatus.CAPTURED, completed_at=now)
    rule = over_payment_rule(invoice.status)
    if rule is not None:
        refund_in_full(b, session, publish, invoice, found.amount_halalas, rule, now, payment_id=found.id)
        return "over_payment"
    repo.update_invoice(session, invoice.id, status=InvoiceStatus.PAID, paid_at=now, paid_by_payment=found.id)
    publish(
        PAYMENT_RECEIVED,
        {
            **request_data(invoice.application_number, invoice.account_id),
            "invoice_id": invoice.id,
            "kind": invoice.kind,
            "payment_id": found.id,
            "method": found.method,
            "amount_halalas": found.amount_halalas,
            "paid_at": isoformat(now),
        },
    )
    settle_if_done(b, session, publish, account, now)
    return PaymentStatus.CAPTURED
