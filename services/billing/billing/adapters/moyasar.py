"""The `moyasar` payment provider: Moyasar's REST API (https://docs.moyasar.com), a Saudi payment
service provider. Amounts are halalas there too; the API is JSON with HTTP Basic authentication
(the secret API key as user name, no password).

Paying: every payment is a Moyasar **invoice** (`POST /invoices`), whose hosted page (`url`)
the payer is sent to and pays on, by card, mada or Apple Pay; a SADAD payment is such an invoice
too, carrying the bill number (our choice: Moyasar's API has no SADAD bill of its own). The
invoice carries our payment id in its metadata, and opening looks it up there first
(`GET /invoices?metadata[mumaris_payment_id]=…`), so opening a payment twice — a retry after a
timeout, a crash between the call and our record — opens one invoice.

Notices: the webhook set up in Moyasar's dashboard posts `{id, type, created_at, secret_token,
live, data: <payment>}`; the secret token proves it (compared in constant time). Its word is not
taken for money: the payment is fetched from the API (`GET /payments/<id>`) and its own status,
amount and currency are what count. `payment_paid`/`payment_captured` capture, `payment_failed`
fails the payment; other events are acknowledged and left alone. Moyasar signs no timestamp, so
a replay is refused by event id only (kept in `webhook_events`).

Refunds: `POST /payments/<id>/refund {amount}` answers the payment with its running `refunded`
total. Moyasar takes no idempotency key there, so a refund first reads that total: when it
already covers what billing knows was refunded before plus this refund, the refund was made (its
answer was lost) and is not made again."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from mumaris_shared.events import isoformat

from ..domain.errors import InvalidSignature, MalformedWebhook
from ..domain.payments import (
    REFUNDED,
    IgnoredNotice,
    Notice,
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
    StartedPayment,
    StartedRefund,
    WebhookEvent,
)
from ..settings import MoyasarSettings
from .http import ProviderClient, RetryPolicy

CURRENCY = "SAR"
PAYMENT_ID_KEY = "mumaris_payment_id"  # our payment id, in the invoice's metadata
CAPTURING_EVENTS = ("payment_paid", "payment_captured")
FAILING_EVENTS = ("payment_failed",)
CAPTURED_STATES = ("paid", "captured", "refunded")  # a payment's status once money moved


class _Answer(Schema):
    """What billing reads of Moyasar's answers: the fields it needs; Moyasar may add others."""

    class Meta:
        unknown = EXCLUDE


class _Payment(_Answer):
    id = fields.String(required=True)
    status = fields.String(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    refunded = fields.Integer(load_default=0)
    invoice_id = fields.String(allow_none=True, load_default=None)


class _Notice(_Answer):
    id = fields.String(required=True)
    type = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    data = fields.Nested(_Payment, required=True)


class MoyasarProvider:
    name = "moyasar"

    def __init__(self, settings: MoyasarSettings, return_url: str, policy: RetryPolicy):
        self.settings, self.return_url = settings, return_url
        self.client = ProviderClient(self.name, settings.api_url, (settings.secret_key or "", ""), policy)

    # --- paying ----------------------------------------------------------------------------------
    def start(self, payment: PaymentRequest) -> StartedPayment:
        def open_once() -> StartedPayment:
            found = self._find(payment.id)
            if found is not None:
                return found
            metadata = {PAYMENT_ID_KEY: payment.id, "method": payment.method}
            if payment.bill_number:
                metadata["sadad_bill_number"] = payment.bill_number
            invoice = self.client.call(
                "POST",
                "/invoices",
                json={
                    "amount": payment.amount_halalas,
                    "currency": CURRENCY,
                    "description": payment.description,
                    "success_url": self.return_url,
                    "back_url": self.return_url,
                    "expired_at": isoformat(payment.expires_at),
                    "metadata": metadata,
                },
            )
            return _started(invoice)

        return self.client.retrying(open_once)

    def find(self, payment_id: str) -> StartedPayment | None:
        return self.client.retrying(lambda: self._find(payment_id))

    def _find(self, payment_id: str) -> StartedPayment | None:
        answer = self.client.call("GET", "/invoices", params={f"metadata[{PAYMENT_ID_KEY}]": payment_id})
        mine = [i for i in answer.get("invoices", []) if (i.get("metadata") or {}).get(PAYMENT_ID_KEY) == payment_id]
        return _started(mine[0]) if mine else None

    # --- refunds ---------------------------------------------------------------------------------
    def start_refund(self, refund: RefundRequest) -> StartedRefund:
        def refund_once() -> StartedRefund:
            charge = self._payment(refund.charge_reference)
            wanted = refund.refunded_before + refund.amount_halalas
            if charge["refunded"] < wanted:
                charge = _PAYMENT.load(
                    self.client.call(
                        "POST", f"/payments/{refund.charge_reference}/refund", json={"amount": refund.amount_halalas}
                    )
                )
            return StartedRefund(charge["id"], REFUNDED if charge["refunded"] >= wanted else None)

        return self.client.retrying(refund_once)

    # --- notices ---------------------------------------------------------------------------------
    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Notice:
        try:
            raw = json.loads(body)
        except ValueError:
            raw = None
        token = raw.get("secret_token") if isinstance(raw, dict) else None
        expected = (self.settings.webhook_secret or "").encode()
        if not isinstance(token, str) or not expected or not hmac.compare_digest(token.encode(), expected):
            raise InvalidSignature("the secret token is missing or wrong")
        try:
            notice = _Notice().load(raw)
        except ValidationError as exc:
            raise MalformedWebhook(f"the webhook body is malformed: {exc.messages}") from None
        if notice["type"] not in CAPTURING_EVENTS + FAILING_EVENTS:
            return IgnoredNotice(notice["id"], notice["type"])
        # The provider's own record, not the notice's word, says what happened to the money.
        charge = self.client.retrying(lambda: self._payment(notice["data"]["id"]))
        outcome = _outcome(notice["type"], charge["status"])
        if outcome is None or charge["invoice_id"] is None:
            return IgnoredNotice(notice["id"], notice["type"])  # not (yet) final, or not one of our invoices
        if charge["currency"] != CURRENCY:
            raise MalformedWebhook(f"the payment is in {charge['currency']}, not {CURRENCY}")
        return WebhookEvent(
            id=notice["id"],
            outcome=outcome,
            occurred_at=notice["created_at"],
            reference=charge["invoice_id"],
            charge_reference=charge["id"],
            amount_halalas=charge["amount"],
        )

    def _payment(self, charge_id: str) -> dict:
        return _PAYMENT.load(self.client.call("GET", f"/payments/{charge_id}"))


_PAYMENT = _Payment()


def _started(invoice: dict) -> StartedPayment:
    return StartedPayment(reference=invoice["id"], redirect_url=invoice.get("url"))


def _outcome(event_type: str, status: str) -> str | None:
    """Our outcome for a notice of `event_type` whose payment is now in `status`; None when the
    payment is not in the state the notice claims."""
    if event_type in CAPTURING_EVENTS and status in CAPTURED_STATES:
        return PaymentStatus.CAPTURED
    if event_type in FAILING_EVENTS and status == "failed":
        return PaymentStatus.FAILED
    return None
