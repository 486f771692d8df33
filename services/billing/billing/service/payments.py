"""Paying an invoice (R5): a payment opened at the provider, idempotent on the caller's key; the
provider's webhook saying how it ended — a capture pays the invoice (or, when the invoice no
longer owes it, is refunded in full), a refund notice marks a refund paid.

The provider is called over the network, so never inside a transaction: a payment is first
recorded `pending` (committed, the Idempotency-Key pointing at it), then opened at the provider
(idempotent on our payment id), then its reference recorded. A crash in between leaves a pending
payment with no reference: the same key resumes it, and the scheduler reconciles it with the
provider after `BILLING_PROVIDER_LEASE` (jobs.reconcile_openings). The sandbox provider plays the
payer and the bank in development: a completion is recorded, and the scheduler sends its notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import PAYMENT_RECEIVED
from mumaris_shared.events import isoformat

from ..adapters import repository as repo
from ..adapters.sandbox import SandboxProvider
from ..domain.errors import (
    AmountMismatch,
    IdempotencyKeyReused,
    NoSuch,
    NotYours,
    PaymentNotPending,
    PaymentOpening,
    ProviderRefused,
    WebhookReplayed,
)
from ..domain.invoices import InvoiceStatus, check_payable, over_payment_rule
from ..domain.payments import (
    REFUND_NOTICE,
    SADAD,
    IgnoredNotice,
    PaymentRequest,
    PaymentStatus,
    RefundWebhookEvent,
    WebhookEvent,
)
from .context import IGNORED, Billing, Publish, request_data, visible_to
from .settlement import refund_in_full, settle_if_done, settle_refund

Answer = tuple[int, dict]


def start_payment(
    b: Billing,
    principal: Principal,
    invoice_id: str,
    method: str,
    key: str,
    fingerprint: str,
    answer: Callable[[Row], dict],
) -> Answer:
    """A pending payment of the invoice, opened at the provider, answered as `answer` renders it.
    Repeating the call with the same Idempotency-Key and the same request answers what the first
    answered, doing nothing; if the first stopped before answering, the repeat finishes it."""
    stored, payment_id = _record_payment(b, principal, invoice_id, method, key, fingerprint)
    if stored is not None:
        return stored
    open_at_provider(b, payment_id)
    with b.db.transaction() as session:
        body = answer(repo.payment(session, payment_id))
        repo.store_answer(session, principal.id, key, 201, body)
    return 201, body


def _record_payment(
    b: Billing, principal: Principal, invoice_id: str, method: str, key: str, fingerprint: str
) -> tuple[Answer | None, str]:
    """The payment this call is about, recorded `pending` and committed before the provider hears
    of it: a new one, or (the same key again) the one the first call recorded, with its stored
    answer when it got that far."""
    now = b.clock()
    try:
        with b.db.transaction() as session:
            known = _known_key(session, principal, key, fingerprint)
            if known is not None:
                return known
            invoice = repo.invoice(session, invoice_id)
            if invoice is None:
                raise NoSuch("invoice")
            if invoice.account_id != principal.id:
                raise NotYours("this invoice is not yours")
            repo.fee_account(session, invoice.application_number, lock=True)
            invoice = repo.invoice(session, invoice_id)  # as it is now that no one else changes it
            check_payable(invoice.status)
            payment_id = repo.new_id()
            repo.add_payment(
                session,
                id=payment_id,
                invoice_id=invoice.id,
                account_id=principal.id,
                method=method,
                amount_halalas=invoice.amount_halalas,
                status=PaymentStatus.PENDING,
                provider=b.provider.name,
                bill_number=invoice.sadad_bill_number if method == SADAD else None,
                created_at=now,
            )
            repo.remember_key(session, principal.id, key, fingerprint, payment_id, now)
            return None, payment_id
    except IntegrityError:
        # The same key, used concurrently: the other call recorded its payment first.
        with b.db.transaction() as session:
            known = _known_key(session, principal, key, fingerprint)
        if known is None:
            raise
        return known


def _known_key(session: Session, principal: Principal, key: str, fingerprint: str) -> tuple[Answer | None, str] | None:
    stored = repo.stored_answer(session, principal.id, key)
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return ((stored.status_code, stored.response) if stored.response is not None else None), stored.payment_id


def open_at_provider(b: Billing, payment_id: str) -> None:
    """Open a recorded payment at the provider (unless it is open already) and record its reference.
    The opening is claimed first for `BILLING_PROVIDER_LEASE`, so two calls never open one payment
    at once: the second is told so (409) at once instead of waiting."""
    now = b.clock()
    with b.db.transaction() as session:
        payment = repo.payment(session, payment_id)
        if payment.provider_reference is not None or payment.status != PaymentStatus.PENDING:
            return
        if not repo.claim_opening(session, payment_id, now, now - b.settings.provider_lease):
            raise PaymentOpening()
        invoice = repo.invoice(session, payment.invoice_id)
    request = PaymentRequest(
        id=payment.id,
        method=payment.method,
        amount_halalas=payment.amount_halalas,
        bill_number=payment.bill_number,
        description=f"Mumaris {invoice.kind} fee, request {invoice.application_number}",
        expires_at=invoice.due_at,
    )
    try:
        started = b.provider.start(request)  # no transaction open: this may take the provider's timeouts
    except ProviderRefused:
        with b.db.transaction() as session:  # the provider said no: this payment will not be
            repo.update_payment(session, payment_id, status=PaymentStatus.FAILED, completed_at=b.clock())
        raise
    except Exception:
        with b.db.transaction() as session:  # let the same key try again at once
            repo.update_payment(session, payment_id, opening_at=None)
        raise
    with b.db.transaction() as session:
        repo.record_opened(session, payment_id, started.reference, started.redirect_url)


def payment(b: Billing, principal: Principal, payment_id: str) -> Row:
    with b.db.transaction() as session:
        return visible_to(principal, repo.payment(session, payment_id), "payment")


def complete_sandbox_payment(b: Billing, principal: Principal, payment_id: str, outcome: str) -> dict:
    """Play the payer and the bank: the sandbox's outcome for the payment is recorded, once, and
    the scheduler sends its signed notice to the webhook (jobs.deliver_sandbox_notices), as a
    gateway would, a moment later. Nothing here waits for the webhook."""
    if not isinstance(b.provider, SandboxProvider):
        raise NoSuch("sandbox")
    with b.db.transaction() as session:
        found = repo.payment(session, payment_id)
        if found is None:
            raise NoSuch("payment")
        if found.account_id != principal.id:
            raise NotYours("this payment is not yours")
        if found.status != PaymentStatus.PENDING or found.sandbox_outcome is not None:
            raise PaymentNotPending(found.status, found.sandbox_outcome)
        if not repo.play_sandbox_outcome(session, payment_id, outcome, b.clock()):
            raise PaymentNotPending(found.status, outcome)  # completed by a concurrent call a moment ago
    return {"payment": payment_id, "outcome": outcome}


def receive_webhook(b: Billing, provider: str, headers: Mapping[str, str], body: bytes) -> dict:
    """The provider tells how a payment or a refund ended. Proven to come from it (and, where the
    provider asks for it, confirmed with it: no transaction is open while that happens), and seen
    once: a captured payment pays its invoice, or — when the invoice no longer owes it — is
    refunded in full."""
    if provider != b.provider.name:
        raise NoSuch("webhook")
    notice = b.provider.verify_webhook(headers, body)
    if isinstance(notice, IgnoredNotice):
        return {"id": notice.id, "effect": IGNORED}
    if isinstance(notice, RefundWebhookEvent):
        return _receive_refund_notice(b, notice)
    return _receive_payment_notice(b, notice)


def _receive_payment_notice(b: Billing, event: WebhookEvent) -> dict:
    now = b.clock()
    try:
        with b.transaction() as (session, publish):
            if repo.webhook_seen(session, event.id):
                raise WebhookReplayed()
            if event.payment_id is not None:
                found = repo.payment(session, event.payment_id)
            else:
                found = repo.payment_by_reference(session, b.provider.name, event.reference)
            if found is None:
                raise NoSuch("payment")
            if event.amount_halalas is not None and event.amount_halalas != found.amount_halalas:
                raise AmountMismatch(found.amount_halalas, event.amount_halalas)
            # Written first: a concurrent delivery of the same event waits on it, then fails.
            repo.add_webhook_event(
                session,
                id=event.id,
                provider=b.provider.name,
                payment_id=found.id,
                outcome=event.outcome,
                occurred_at=event.occurred_at,
                received_at=now,
                effect=IGNORED,
            )
            effect = _settle_payment(b, session, publish, found, event, now)
            repo.set_webhook_effect(session, event.id, effect)
    except IntegrityError:
        raise WebhookReplayed() from None
    return {"id": event.id, "payment": found.id, "effect": effect}


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
            effect = settle_refund(session, publish, refund, event.outcome, now)
            repo.set_webhook_effect(session, event.id, effect)
    except IntegrityError:
        raise WebhookReplayed() from None
    return {"id": event.id, "payment": refund.payment_id, "refund": refund.id, "effect": effect}


def _settle_payment(
    b: Billing, session: Session, publish: Publish, found: Row, event: WebhookEvent, now: datetime
) -> str:
    invoice = repo.invoice(session, found.invoice_id)
    account = repo.fee_account(session, invoice.application_number, lock=True)
    found, invoice = repo.payment(session, found.id), repo.invoice(session, invoice.id)
    if found.status == PaymentStatus.CAPTURED:
        return IGNORED  # the provider told us before, under another event id
    if event.outcome == PaymentStatus.FAILED:
        if found.status == PaymentStatus.FAILED:
            return IGNORED
        repo.update_payment(session, found.id, status=PaymentStatus.FAILED, completed_at=now)
        return PaymentStatus.FAILED
    # Captured, even after a failure was reported (the payer tried again on the provider's page):
    # money that moved is never ignored.
    repo.update_payment(
        session,
        found.id,
        status=PaymentStatus.CAPTURED,
        completed_at=now,
        charge_reference=event.charge_reference or found.provider_reference,
    )
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
