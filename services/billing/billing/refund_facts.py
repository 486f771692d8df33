"""What billing knows of a paid fee when the refund rules (domain/refunds.py) judge it, read from
the stored rows; and the one refund record each fee or over-payment has. Used both when refunds are
decided (service.py) and when a withdrawal's refunds are only previewed (overview.py), so the two
can never read the facts differently."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from .adapters import repository as repo
from .domain import refunds as rf
from .domain.invoices import ACCOUNT_EXPIRED, SETTLED


def policy_key(invoice_id: str) -> str:
    """The fee's one refund by the policy (a claim's or a withdrawal's)."""
    return f"policy:{invoice_id}"


def full_key(payment_id: str) -> str:
    """The one full refund of an over-payment."""
    return f"full:{payment_id}"


def request_state(account) -> str:
    """The request as billing knows it, for the refund policy."""
    if account.decision is not None:
        return account.decision  # approved | rejected
    if account.withdrawn_at is not None:
        return rf.WITHDRAWN
    return {ACCOUNT_EXPIRED: rf.EXPIRED, SETTLED: rf.SETTLED}.get(account.status, rf.OPEN)


def refund_facts(session: Session, account, invoice, now: datetime) -> rf.RefundFacts:
    paid = repo.payment(session, invoice.paid_by_payment)
    return rf.RefundFacts(
        fee_kind=invoice.kind,
        amount_paid=paid.amount_halalas if paid else invoice.amount_halalas,
        paid_at=invoice.paid_at,
        request_state=request_state(account),
        now=now,
        withdrawn_at=account.withdrawn_at,
        review_started_at=account.review_started_at,
        decided_at=account.decided_at,
    )


def recorded_refund(session: Session, invoice):
    """The refund already recorded for the fee paid for `invoice`: a full refund of its payment
    (exemption or waiver after payment) if there is one, else the policy's (a claim's or a
    withdrawal's)."""
    found = repo.refund_by_key(session, full_key(invoice.paid_by_payment)) if invoice.paid_by_payment else None
    return found or repo.refund_by_key(session, policy_key(invoice.id))
