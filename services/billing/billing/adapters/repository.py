"""Reading and writing the billing tables inside a caller's transaction.

Locks: whatever changes a request's invoices first locks its fee account row (`lock=True`,
`SELECT … FOR UPDATE` on PostgreSQL; SQLite transactions are serial anyway). One lock per request,
always taken first, so two captures, a capture and the deadline, or a waiver and a capture never
interleave: an invoice is marked paid once, and the request is settled or expired once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, String, any_, delete, insert, literal, or_, select, union, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.contracts import FEE_KINDS

from ..domain.exemptions import ExemptionStatus
from ..domain.invoices import FeeAccountStatus, InvoiceStatus, new_sadad_bill_number
from ..domain.payments import PaymentStatus
from .orm import early_withdrawals_table as early_withdrawals
from .orm import exemptions_table as exemptions
from .orm import fee_accounts_table as fee_accounts
from .orm import idempotency_keys_table as idempotency_keys
from .orm import invoices_table as invoices
from .orm import payments_table as payments
from .orm import refunds_table as refunds
from .orm import waivers_table as waivers
from .orm import webhook_events_table as webhook_events


def _one(session: Session, statement, lock: bool) -> Row | None:
    if lock:
        statement = statement.with_for_update()
    return session.execute(statement).first()


def new_id() -> str:
    return str(uuid.uuid4())


# --- fee accounts -----------------------------------------------------------------------------------
def fee_account(session: Session, application_number: str, lock: bool = False) -> Row | None:
    return _one(session, select(fee_accounts).where(fee_accounts.c.application_number == application_number), lock)


def fee_accounts_of(session: Session, account_id: str) -> list[Row]:
    """An applicant's requests as billing knows them, newest first."""
    return session.execute(
        select(fee_accounts)
        .where(fee_accounts.c.account_id == account_id)
        .order_by(fee_accounts.c.submitted_at.desc(), fee_accounts.c.application_number)
    ).all()


def add_fee_account(session: Session, **values) -> None:
    session.execute(insert(fee_accounts).values(**values))


def requests_with_history(session: Session, application_numbers: list[str]) -> set[str]:
    """Which of these requests billing already heard something of before their fees: a withdrawal,
    an exemption claim or a waiver (one query)."""
    statement = union(
        *(
            select(table.c.application_number).where(_among(session, table.c.application_number, application_numbers))
            for table in (early_withdrawals, exemptions, waivers)
        )
    )
    return set(session.execute(statement).scalars())


def known_requests(session: Session, application_numbers: list[str]) -> set[str]:
    """Which of these requests have a fee account, each locked (in number order, so that two
    replicas never wait on each other)."""
    statement = (
        select(fee_accounts.c.application_number)
        .where(_among(session, fee_accounts.c.application_number, application_numbers))
        .order_by(fee_accounts.c.application_number)
        .with_for_update()
    )
    return set(session.execute(statement).scalars())


def add_fee_accounts(session: Session, rows: list[dict]) -> None:
    """Several fee accounts in one statement. A request's that another replica inserted meanwhile
    makes the unique constraint refuse it: the consumer then handles the batch's events one at a time."""
    if rows:
        session.execute(insert(fee_accounts), rows)


def _among(session: Session, column, values: list[str]):
    """`column IN values`; on PostgreSQL `= ANY` of one array parameter, which SQLAlchemy renders
    at the same cost however many values there are."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


def update_fee_account(session: Session, application_number: str, **values) -> None:
    session.execute(
        update(fee_accounts).where(fee_accounts.c.application_number == application_number).values(**values)
    )


def expire_fee_accounts(session: Session, application_numbers: list[str], now: datetime) -> None:
    """The deadline passed for these requests: each fee account and its unpaid invoices expire."""
    session.execute(
        update(invoices)
        .where(
            _among(session, invoices.c.application_number, application_numbers),
            invoices.c.status == InvoiceStatus.UNPAID,
        )
        .values(status=InvoiceStatus.EXPIRED, closed_at=now)
    )
    session.execute(
        update(fee_accounts)
        .where(_among(session, fee_accounts.c.application_number, application_numbers))
        .values(status=FeeAccountStatus.EXPIRED, expired_at=now, next_check_at=None)
    )


def early_withdrawal(session: Session, application_number: str) -> Row | None:
    return _one(
        session, select(early_withdrawals).where(early_withdrawals.c.application_number == application_number), False
    )


def add_early_withdrawal(session: Session, **values) -> None:
    session.execute(insert(early_withdrawals).values(**values))


def forget_early_withdrawal(session: Session, application_number: str) -> None:
    session.execute(delete(early_withdrawals).where(early_withdrawals.c.application_number == application_number))


# --- invoices ---------------------------------------------------------------------------------------
def invoices_of(session: Session, application_number: str) -> list[Row]:
    return invoices_of_requests(session, [application_number])


def invoices_of_requests(session: Session, application_numbers: list[str]) -> list[Row]:
    """The invoices of several requests, in one query; each request's in the order of FEE_KINDS."""
    if not application_numbers:
        return []
    statement = select(invoices).where(_among(session, invoices.c.application_number, application_numbers))
    rows = session.execute(statement).all()
    return sorted(rows, key=lambda row: FEE_KINDS.index(row.kind))


def invoice(session: Session, invoice_id: str) -> Row | None:
    return _one(session, select(invoices).where(invoices.c.id == invoice_id), lock=False)


def add_invoice(session: Session, **values) -> Row:
    values = {"id": new_id(), "sadad_bill_number": _free_sadad_bill_number(session), **values}
    session.execute(insert(invoices).values(**values))
    return invoice(session, values["id"])


def add_invoices(session: Session, rows: list[dict]) -> list[dict]:
    """Several invoices in one statement, each given an id and a SADAD bill number; the rows as
    inserted. The numbers are drawn without asking which are taken (of 9 × 10^11, few ever are):
    should one be, the unique constraint refuses the statement, and the consumer handles the
    batch's events again one at a time, through `add_invoice`, which asks."""
    numbers: set[str] = set()
    while len(numbers) < len(rows):
        numbers.add(new_sadad_bill_number())
    rows = [{"id": new_id(), "sadad_bill_number": number, **row} for row, number in zip(rows, numbers, strict=True)]
    if rows:
        session.execute(insert(invoices), rows)
    return rows


def _free_sadad_bill_number(session: Session) -> str:
    # Collisions are astronomically rare; the unique constraint still guards the last race.
    while True:
        number = new_sadad_bill_number()
        if session.execute(select(invoices.c.id).where(invoices.c.sadad_bill_number == number)).first() is None:
            return number


def update_invoice(session: Session, invoice_id: str, **values) -> None:
    session.execute(update(invoices).where(invoices.c.id == invoice_id).values(**values))


# --- payments and webhooks ------------------------------------------------------------------------
def payment(session: Session, payment_id: str, lock: bool = False) -> Row | None:
    return _one(session, select(payments).where(payments.c.id == payment_id), lock)


def payment_by_reference(session: Session, provider: str, reference: str | None) -> Row | None:
    statement = select(payments).where(payments.c.provider == provider, payments.c.provider_reference == reference)
    return _one(session, statement, lock=False)


def add_payment(session: Session, **values) -> Row:
    session.execute(insert(payments).values(**values))
    return payment(session, values["id"])


def update_payment(session: Session, payment_id: str, **values) -> None:
    session.execute(update(payments).where(payments.c.id == payment_id).values(**values))


def _unopened(payment_id: str):
    """The payment, while it is pending with no reference at the provider."""
    return (
        payments.c.id == payment_id,
        payments.c.status == PaymentStatus.PENDING,
        payments.c.provider_reference.is_(None),
    )


def claim_opening(session: Session, payment_id: str, now: datetime, lease_expired_before: datetime) -> bool:
    """Mark the payment as being opened at the provider, unless another call holds that mark and its
    lease has not run out: whether this call may open it. Never waits for the other call."""
    claimed = session.execute(
        update(payments)
        .where(
            *_unopened(payment_id),
            or_(payments.c.opening_at.is_(None), payments.c.opening_at <= lease_expired_before),
        )
        .values(opening_at=now)
    )
    return claimed.rowcount == 1


def record_opened(session: Session, payment_id: str, reference: str, redirect_url: str | None) -> None:
    session.execute(
        update(payments)
        .where(*_unopened(payment_id))
        .values(provider_reference=reference, redirect_url=redirect_url, opening_at=None)
    )


def fail_unopened(session: Session, payment_id: str, now: datetime) -> None:
    session.execute(
        update(payments)
        .where(*_unopened(payment_id))
        .values(status=PaymentStatus.FAILED, completed_at=now, opening_at=None)
    )


def play_sandbox_outcome(session: Session, payment_id: str, outcome: str, now: datetime) -> bool:
    """Record the sandbox's outcome for a pending payment, once; whether this call recorded it."""
    played = session.execute(
        update(payments)
        .where(
            payments.c.id == payment_id,
            payments.c.status == PaymentStatus.PENDING,
            payments.c.sandbox_outcome.is_(None),
        )
        .values(sandbox_outcome=outcome, next_notice_at=now)
    )
    return played.rowcount == 1


def webhook_seen(session: Session, event_id: str) -> bool:
    return session.execute(select(webhook_events.c.id).where(webhook_events.c.id == event_id)).first() is not None


def add_webhook_event(session: Session, **values) -> None:
    session.execute(insert(webhook_events).values(**values))


def set_webhook_effect(session: Session, event_id: str, effect: str) -> None:
    session.execute(update(webhook_events).where(webhook_events.c.id == event_id).values(effect=effect))


# --- idempotency ------------------------------------------------------------------------------------
def stored_answer(session: Session, principal_id: str, key: str) -> Row | None:
    """The key's row: the payment it made, and its answer once it was given."""
    return _one(
        session,
        select(idempotency_keys).where(idempotency_keys.c.principal_id == principal_id, idempotency_keys.c.key == key),
        lock=False,
    )


def remember_key(
    session: Session, principal_id: str, key: str, fingerprint: str, payment_id: str, now: datetime
) -> None:
    session.execute(
        insert(idempotency_keys).values(
            principal_id=principal_id, key=key, fingerprint=fingerprint, payment_id=payment_id, created_at=now
        )
    )


def store_answer(session: Session, principal_id: str, key: str, status_code: int, response: dict) -> None:
    session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.principal_id == principal_id, idempotency_keys.c.key == key)
        .values(status_code=status_code, response=response)
    )


# --- exemptions and waivers -----------------------------------------------------------------------
def exemption(session: Session, exemption_id: str, lock: bool = False) -> Row | None:
    return _one(session, select(exemptions).where(exemptions.c.id == exemption_id), lock)


def add_exemption(session: Session, **values) -> Row:
    session.execute(insert(exemptions).values(**values))
    return exemption(session, values["id"])


def update_exemption(session: Session, exemption_id: str, **values) -> None:
    session.execute(update(exemptions).where(exemptions.c.id == exemption_id).values(**values))


def exemptions_of(session: Session, application_number: str) -> list[Row]:
    return session.execute(
        select(exemptions)
        .where(exemptions.c.application_number == application_number)
        .order_by(exemptions.c.claimed_at)
    ).all()


def active_claim(session: Session, application_number: str, account_id: str, kind: str) -> Row | None:
    """The claimant's pending or approved exemption of `kind` for the request, if any."""
    return session.execute(
        select(exemptions).where(
            exemptions.c.application_number == application_number,
            exemptions.c.account_id == account_id,
            exemptions.c.kind == kind,
            exemptions.c.status.in_([ExemptionStatus.PENDING, ExemptionStatus.APPROVED]),
        )
    ).first()


def exemptions_by_status(session: Session, status: str | None) -> list[Row]:
    statement = select(exemptions).order_by(exemptions.c.claimed_at, exemptions.c.id)
    if status is not None:
        statement = statement.where(exemptions.c.status == status)
    return session.execute(statement).all()


def waiver_by_decision(session: Session, application_number: str, decision_number: str) -> Row | None:
    return session.execute(
        select(waivers).where(
            waivers.c.application_number == application_number, waivers.c.decision_number == decision_number
        )
    ).first()


def add_waiver(session: Session, **values) -> Row:
    session.execute(insert(waivers).values(**values))
    return session.execute(select(waivers).where(waivers.c.id == values["id"])).first()


def waivers_of(session: Session, application_number: str) -> list[Row]:
    return session.execute(
        select(waivers).where(waivers.c.application_number == application_number).order_by(waivers.c.granted_at)
    ).all()


def mark_waiver_announced(session: Session, waiver_id: str, now: datetime) -> None:
    session.execute(update(waivers).where(waivers.c.id == waiver_id).values(announced_at=now))


# --- refunds ----------------------------------------------------------------------------------------
# A refund is read with the kind of the fee it gives back (administrative | service).
_REFUNDS = select(refunds, invoices.c.kind).join(invoices, invoices.c.id == refunds.c.invoice_id)


def add_refund(session: Session, **values) -> Row:
    session.execute(insert(refunds).values(**values))
    return refund(session, values["id"])


def refunds_of(session: Session, application_number: str) -> list[Row]:
    return session.execute(
        _REFUNDS.where(refunds.c.application_number == application_number).order_by(refunds.c.created_at, refunds.c.id)
    ).all()


def refund(session: Session, refund_id: str, lock: bool = False) -> Row | None:
    statement = _REFUNDS.where(refunds.c.id == refund_id)
    if lock:
        statement = statement.with_for_update(of=refunds)
    return session.execute(statement).first()


def refunds_of_payment(session: Session, payment_id: str) -> list[Row]:
    return session.execute(select(refunds).where(refunds.c.payment_id == payment_id)).all()


def refund_by_key(session: Session, dedupe_key: str) -> Row | None:
    return session.execute(_REFUNDS.where(refunds.c.dedupe_key == dedupe_key)).first()


def update_refund(session: Session, refund_id: str, **values) -> None:
    session.execute(update(refunds).where(refunds.c.id == refund_id).values(**values))


def refunds_by_status(session: Session, status: str | None) -> list[Row]:
    """Oldest first: the reviewers' queue for `pending_review`."""
    statement = _REFUNDS.order_by(refunds.c.created_at, refunds.c.id)
    if status is not None:
        statement = statement.where(refunds.c.status == status)
    return session.execute(statement).all()
