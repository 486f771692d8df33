"""Invoices and what settles a request: one invoice per fee kind; the request's fees are settled
when every invoice is paid or waived. A payment can be started only for an unpaid invoice; money
captured for an invoice that no longer owes it is an over-payment, refunded in full (R8)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

UNPAID, PAID, WAIVED, EXPIRED, CANCELLED = "unpaid", "paid", "waived", "expired", "cancelled"
INVOICE_STATUSES = (UNPAID, PAID, WAIVED, EXPIRED, CANCELLED)
SETTLED_STATUSES = frozenset({PAID, WAIVED})

# The request's fee account (what the scheduler watches).
OPEN, SETTLED, ACCOUNT_EXPIRED, CLOSED = "open", "settled", "expired", "closed"

# Refund rules this service decides by itself, in full and at once.
DUPLICATE_PAYMENT = "duplicate_payment"  # captured for an invoice already paid or waived
PAYMENT_AFTER_CANCELLATION = "payment_after_cancellation"  # captured after expiry or cancellation
EXEMPTION_AFTER_PAYMENT = "exemption_after_payment"  # the exemption came after the fee was paid
WAIVER_AFTER_PAYMENT = "waiver_after_payment"  # the waiver came after the fee was paid

SADAD_BILL_DIGITS = 12


def fees_settled(statuses: Iterable[str]) -> bool:
    """Both fees settled: every invoice paid or waived (and there is at least one)."""
    statuses = list(statuses)
    return bool(statuses) and all(status in SETTLED_STATUSES for status in statuses)


class NotPayable(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_payable(status: str) -> None:
    """Raises NotPayable unless a payment may be started for an invoice in `status`."""
    if status in SETTLED_STATUSES:
        raise NotPayable("invoice_settled", f"this invoice is already {status}")
    if status == EXPIRED:
        raise NotPayable("invoice_expired", "the payment deadline has passed; this invoice can no longer be paid")
    if status == CANCELLED:
        raise NotPayable("invoice_cancelled", "the request was withdrawn or closed; this invoice can no longer be paid")


def over_payment_rule(status: str) -> str | None:
    """The refund rule for money captured for an invoice in `status`; None when it is owed."""
    if status in SETTLED_STATUSES:
        return DUPLICATE_PAYMENT
    if status in (EXPIRED, CANCELLED):
        return PAYMENT_AFTER_CANCELLATION
    return None


def new_sadad_bill_number() -> str:
    """A SADAD bill number: 12 digits from a secure random source, never starting with 0."""
    return str(10 ** (SADAD_BILL_DIGITS - 1) + secrets.randbelow(9 * 10 ** (SADAD_BILL_DIGITS - 1)))
