"""Payments (R5): SADAD, mada, credit card and Apple Pay, each through a provider adapter. A payment
starts `pending`; the provider later tells, through a signed webhook, whether it was `captured`
or `failed`.

Webhook signatures: `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`,
the scheme real gateways use. A missing or wrong signature is refused; so is a timestamp more
than `tolerance` (five minutes) away from now, either way, so a captured request cannot be played
back later. Replays within the window are refused by webhook id (kept in `webhook_events`).

Refunds go the same way: billing asks the provider to pay back (part of) a captured payment
(`start_refund`, idempotent on the refund id, as real gateways' refund calls are); the refund is
pending there until the provider's signed webhook of kind `refund` says it was `refunded` (or
`failed`)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from mumaris_shared.contracts import PAYMENT_METHODS

from .errors import InvalidSignature, StaleWebhook

SADAD = "sadad"
METHODS = PAYMENT_METHODS


class PaymentStatus(StrEnum):
    PENDING = "pending"
    CAPTURED = "captured"
    FAILED = "failed"


OUTCOMES = (PaymentStatus.CAPTURED, PaymentStatus.FAILED)  # what a payment notice says
REFUNDED = "refunded"
REFUND_OUTCOMES = (REFUNDED, PaymentStatus.FAILED)  # what a refund notice says
PAYMENT_NOTICE, REFUND_NOTICE = "payment", "refund"  # webhook kinds
WEBHOOK_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class PaymentRequest:
    """What a provider is told when a payment starts."""

    id: str
    method: str
    amount_halalas: int
    bill_number: str | None  # SADAD: the invoice's bill number the payer quotes at the bank


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    payment_id: str
    outcome: str  # captured | failed
    occurred_at: datetime


@dataclass(frozen=True)
class RefundRequest:
    """What a provider is told when a refund starts: `id` doubles as its idempotency key."""

    id: str
    payment_id: str
    payment_reference: str  # the captured payment at the provider
    amount_halalas: int


@dataclass(frozen=True)
class RefundWebhookEvent:
    id: str
    refund_id: str
    outcome: str  # refunded | failed
    occurred_at: datetime
    kind: str = REFUND_NOTICE


class PaymentProvider(Protocol):
    name: str

    def start(self, payment: PaymentRequest) -> str:
        """Open the payment at the provider; its reference there."""

    def start_refund(self, refund: RefundRequest) -> str:
        """Ask the provider to pay `refund.amount_halalas` of the payment back; its reference there.
        Calling it again for the same refund id starts nothing new (the same reference)."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | RefundWebhookEvent:
        """The event a webhook call carries, once its signature and age are proven; raises
        InvalidSignature, StaleWebhook, or MalformedWebhook for a well-signed but malformed body."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    header: str | None, body: bytes, secret: str, now: datetime, tolerance: timedelta = WEBHOOK_TOLERANCE
) -> int:
    """The signed timestamp, once the header proves `body` came from the holder of `secret`
    within `tolerance` of `now`."""
    parts = dict(item.strip().partition("=")[::2] for item in (header or "").split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise InvalidSignature("the signature header is missing or malformed") from None
    if not hmac.compare_digest(given.encode(), _mac(secret, timestamp, body).encode()):
        raise InvalidSignature("the signature does not match the body")
    signed_at = datetime.fromtimestamp(timestamp, UTC)
    if abs(now - signed_at) > tolerance:
        raise StaleWebhook("the webhook was signed too long ago (or in the future)")
    return timestamp


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
