"""Invoices and what settles a request: one invoice per fee kind; the request's fees are settled
when every invoice is paid or waived. A payment can be started only for an unpaid invoice; money
captured for an invoice that no longer owes it is an over-payment, refunded in full (R8)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from enum import StrEnum

from .errors import InvoiceNotPayable
from .exemptions import WaivedBy


class InvoiceStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    WAIVED = "waived"
    EXPIRED = "expired"  # the payment deadline passed with it unpaid
    CANCELLED = "cancelled"  # the request was withdrawn or decided with it unpaid


SETTLED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.WAIVED})


class FeeAccountStatus(StrEnum):
    """A request's fees as a whole: what the scheduler watches."""

    OPEN = "open"  # invoices outstanding, the deadline ahead
    SETTLED = "settled"  # every invoice paid or waived
    EXPIRED = "expired"  # the deadline passed unsettled: the request is cancelled
    CLOSED = "closed"  # withdrawn, approved or rejected while open: nothing more falls due


class FullRefundRule(StrEnum):
    """Refund rules this service decides by itself, in full and at once."""

    DUPLICATE_PAYMENT = "duplicate_payment"  # captured for an invoice already paid or waived
    PAYMENT_AFTER_CANCELLATION = "payment_after_cancellation"  # captured after expiry or cancellation
    EXEMPTION_AFTER_PAYMENT = "exemption_after_payment"  # the exemption came after the fee was paid
    WAIVER_AFTER_PAYMENT = "waiver_after_payment"  # the waiver came after the fee was paid


# A fee waived after it was paid is refunded in full, under the rule of what waived it.
AFTER_PAYMENT = {
    WaivedBy.EXEMPTION: FullRefundRule.EXEMPTION_AFTER_PAYMENT,
    WaivedBy.WAIVER: FullRefundRule.WAIVER_AFTER_PAYMENT,
}

SADAD_BILL_DIGITS = 12


def fees_settled(statuses: Iterable[str]) -> bool:
    """Both fees settled: every invoice paid or waived (and there is at least one)."""
    statuses = list(statuses)
    return bool(statuses) and all(status in SETTLED_STATUSES for status in statuses)


def check_payable(status: str) -> None:
    """Raises InvoiceNotPayable unless a payment may be started for an invoice in `status`."""
    if status in SETTLED_STATUSES:
        raise InvoiceNotPayable("invoice_settled", f"this invoice is already {status}", status)
    if status == InvoiceStatus.EXPIRED:
        raise InvoiceNotPayable(
            "invoice_expired", "the payment deadline has passed; this invoice can no longer be paid", status
        )
    if status == InvoiceStatus.CANCELLED:
        raise InvoiceNotPayable(
            "invoice_cancelled", "the request was withdrawn or closed; this invoice can no longer be paid", status
        )


def over_payment_rule(status: str) -> FullRefundRule | None:
    """The refund rule for money captured for an invoice in `status`; None when it is owed."""
    if status in SETTLED_STATUSES:
        return FullRefundRule.DUPLICATE_PAYMENT
    if status in (InvoiceStatus.EXPIRED, InvoiceStatus.CANCELLED):
        return FullRefundRule.PAYMENT_AFTER_CANCELLATION
    return None


def new_sadad_bill_number() -> str:
    """A SADAD bill number: 12 digits from a secure random source, never starting with 0."""
    return str(10 ** (SADAD_BILL_DIGITS - 1) + secrets.randbelow(9 * 10 ** (SADAD_BILL_DIGITS - 1)))
