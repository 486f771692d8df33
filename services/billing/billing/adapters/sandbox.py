"""The `sandbox` payment provider: behaves like a real gateway so the whole payment story runs
without one. A payment opened here stays pending until someone plays the payer and the bank; the
sandbox then calls billing's webhook over HTTP (`complete`), signed and timestamped, exactly as a
gateway would — the webhook does not know or care that the caller is the sandbox.

The sandbox keeps no state: references are derived from our ids (so opening a payment or starting
a refund twice is the same one, as an idempotency key makes it at a real gateway), and billing's
scheduler tells it which notices to send (service/jobs.py), payments' and refunds' (kind `refund`)
alike, again while they are not acknowledged."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mumaris_shared.events import isoformat

from ..domain.errors import MalformedWebhook
from ..domain.payments import (
    OUTCOMES,
    REFUND_NOTICE,
    REFUND_OUTCOMES,
    PaymentRequest,
    RefundRequest,
    RefundWebhookEvent,
    StartedPayment,
    StartedRefund,
    WebhookEvent,
    sign,
    verify_signature,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Sandbox-Signature"

# (url, body, headers) -> (HTTP status, answer body): how the sandbox reaches the webhook.
Transport = Callable[[str, bytes, Mapping[str, str]], tuple[int, bytes]]


def http_transport(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _WebhookBody(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    payment_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    occurred_at = fields.AwareDateTime(required=True)


class _RefundWebhookBody(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(required=True, validate=validate.Equal(REFUND_NOTICE))
    refund_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    outcome = fields.String(required=True, validate=validate.OneOf(REFUND_OUTCOMES))
    occurred_at = fields.AwareDateTime(required=True)


class SandboxProvider:
    name = "sandbox"

    def __init__(
        self, secret: str, webhook_url: str, clock: Callable[[], datetime], transport: Transport | None = None
    ):
        self.secret = secret
        self.webhook_url = webhook_url
        self.clock = clock
        self.transport = transport or http_transport

    def start(self, payment: PaymentRequest) -> StartedPayment:
        return StartedPayment(self._reference("sbx", f"payment:{payment.id}"))

    def find(self, payment_id: str) -> StartedPayment | None:
        return StartedPayment(self._reference("sbx", f"payment:{payment_id}"))

    def start_refund(self, refund: RefundRequest) -> StartedRefund:
        return StartedRefund(self._reference("sbx_rf", f"refund:{refund.id}"))

    def _reference(self, prefix: str, of: str) -> str:
        return f"{prefix}_{hmac.new(self.secret.encode(), of.encode(), hashlib.sha256).hexdigest()[:24]}"

    def complete(self, payment_id: str, outcome: str) -> tuple[int, dict]:
        """Play the bank: the payment is `outcome`; tell billing through its webhook. The
        webhook's answer (status, body)."""
        status, answer = self._notify({"payment_id": payment_id, "outcome": outcome})
        log.info("sandbox: webhook for payment %s (%s) answered %s", payment_id, outcome, status)
        return status, answer

    def complete_refund(self, refund_id: str, outcome: str = "refunded") -> tuple[int, dict]:
        """Play the bank paying the refund back: tell billing through its webhook (kind `refund`)."""
        status, answer = self._notify({"type": REFUND_NOTICE, "refund_id": refund_id, "outcome": outcome})
        log.info("sandbox: webhook for refund %s (%s) answered %s", refund_id, outcome, status)
        return status, answer

    def _notify(self, fields_: dict) -> tuple[int, dict]:
        now = self.clock()
        body = json.dumps(
            {"id": f"evt_{uuid.uuid4().hex}", **fields_, "occurred_at": isoformat(now)}, separators=(",", ":")
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, int(now.timestamp()), body)}
        status, answer = self.transport(self.webhook_url, body, headers)
        try:
            return status, json.loads(answer or b"{}")
        except ValueError:
            return status, {}

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | RefundWebhookEvent:
        verify_signature(headers.get(SIGNATURE_HEADER), body, self.secret, self.clock())
        try:
            raw = json.loads(body)
            if isinstance(raw, dict) and raw.get("type") == REFUND_NOTICE:
                data = _RefundWebhookBody().load(raw)
                return RefundWebhookEvent(
                    id=data["id"], refund_id=data["refund_id"], outcome=data["outcome"], occurred_at=data["occurred_at"]
                )
            data = _WebhookBody().load(raw)
        except (ValueError, ValidationError) as exc:
            raise MalformedWebhook(f"the webhook body is malformed: {exc}") from None
        return WebhookEvent(
            id=data["id"], payment_id=data["payment_id"], outcome=data["outcome"], occurred_at=data["occurred_at"]
        )
