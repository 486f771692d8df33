"""Payments (R5): SADAD, mada, credit card and Apple Pay, each through a provider adapter. A payment
starts `pending`; the provider later tells, through a signed webhook, whether it was `captured`
or `failed`.

Webhook signatures: `Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`,
the scheme real gateways use. A missing or wrong signature is refused; so is a timestamp more
than `tolerance` (five minutes) away from now, either way, so a captured request cannot be played
back later. Replays within the window are refused by webhook id (kept in `webhook_events`).

Refunds go the same way: billing asks the provider to pay back (part of) a captured payment
(`start_refund`, idempotent on the refund id); the refund is pending there until the provider says
it was `refunded` (or `failed`): in the answer itself, or later in its webhook.

Providers are adapters (`adapters/sandbox.py`, `adapters/moyasar.py`) behind `PaymentProvider`;
billing talks to them outside its database transactions (service/payments.py)."""

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
    """What a provider is told when a payment starts. `id` (ours) is its idempotency key there:
    opening the same payment twice opens it once."""

    id: str
    method: str
    amount_halalas: int
    bill_number: str | None  # SADAD: the invoice's bill number the payer quotes at the bank
    description: str  # what the payer reads on the provider's page
    expires_at: datetime  # the fee's due date: the provider takes no payment after it


@dataclass(frozen=True)
class StartedPayment:
    """A payment as the provider opened it."""

    reference: str  # the payment at the provider; its notices name it (or our id)
    redirect_url: str | None = None  # the provider's page the payer is sent to, to pay there


@dataclass(frozen=True)
class WebhookEvent:
    """A provider's notice of how a payment ended. It names the payment by our id or by the
    provider's reference (what `start` answered)."""

    id: str
    outcome: str  # captured | failed
    occurred_at: datetime
    payment_id: str | None = None
    reference: str | None = None
    charge_reference: str | None = None  # the provider's id of the charge: what a refund of it names
    amount_halalas: int | None = None  # what the provider captured, when it says


@dataclass(frozen=True)
class RefundRequest:
    """What a provider is told when a refund starts: `id` doubles as its idempotency key.
    `refunded_before` is what billing knows was already paid back of the same charge, so a
    provider that keeps only a running total can tell whether this refund was made already."""

    id: str
    payment_id: str
    charge_reference: str  # the captured charge at the provider
    amount_halalas: int
    refunded_before: int = 0


@dataclass(frozen=True)
class StartedRefund:
    reference: str
    outcome: str | None = None  # refunded | failed when the provider answered at once; else its webhook tells


@dataclass(frozen=True)
class RefundWebhookEvent:
    id: str
    refund_id: str
    outcome: str  # refunded | failed
    occurred_at: datetime
    kind: str = REFUND_NOTICE


@dataclass(frozen=True)
class IgnoredNotice:
    """A genuine notice of something billing does not act on (a provider's event of another
    kind): acknowledged, so the provider stops sending it, and otherwise left alone."""

    id: str
    type: str


Notice = WebhookEvent | RefundWebhookEvent | IgnoredNotice


class PaymentProvider(Protocol):
    """A payment service provider, as billing uses it. Every method may reach the provider over
    the network: callers hold no database transaction while they call it. Calls that fail for
    want of the provider raise ProviderUnavailable; a provider refusing raises ProviderRefused."""

    name: str

    def start(self, payment: PaymentRequest) -> StartedPayment:
        """Open the payment at the provider. Idempotent on `payment.id`: opening it again answers
        the payment already opened, never a second one."""

    def find(self, payment_id: str) -> StartedPayment | None:
        """The payment opened at the provider for our `payment_id`, if any (reconciliation: a
        start whose answer was lost)."""

    def start_refund(self, refund: RefundRequest) -> StartedRefund:
        """Ask the provider to pay `refund.amount_halalas` of the charge back. Calling it again
        for the same refund starts nothing new."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """The notice a webhook call carries, once it is proven to come from the provider; raises
        InvalidSignature, StaleWebhook, or MalformedWebhook for a proven but malformed body."""


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
