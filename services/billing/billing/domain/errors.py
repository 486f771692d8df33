"""Every refusal of billing's rules, by name. Each is a kind of `mumaris_shared.errors.DomainError`,
which the web layer answers with its status and the one error shape."""

from __future__ import annotations

from mumaris_shared.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    Unavailable,
    UpstreamFailed,
)


class NoSuch(NotFound):
    """Unknown, or someone else's: the same answer either way, so it gives no hint."""

    def __init__(self, what: str):
        super().__init__(f"no such {what}")


class NotYours(Forbidden):
    def __init__(self, message: str):
        super().__init__(message)


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used for a different request; use a new key")


class InvoiceNotPayable(Conflict):
    """No payment may start for an invoice in this status."""

    def __init__(self, code: str, message: str, status: str):
        super().__init__(message, {"status": status}, code=code)


class PaymentNotPending(Conflict):
    code = "payment_not_pending"

    def __init__(self, status: str, completing: str | None = None):
        if completing is None:
            super().__init__(f"this payment is already {status}", {"status": status})
        else:
            super().__init__(
                f"this payment is already being completed ({completing})", {"status": status, "completing": completing}
            )


class WebhookRefused(Unauthenticated):
    """A webhook call that does not prove it comes from the provider."""

    code = "invalid_webhook"


class InvalidSignature(WebhookRefused):
    code = "invalid_signature"


class StaleWebhook(WebhookRefused):
    code = "stale_webhook"


class MalformedWebhook(Invalid):
    pass


class WebhookReplayed(Conflict):
    code = "webhook_replayed"

    def __init__(self) -> None:
        super().__init__("this webhook event was already processed")


class PaymentOpening(Conflict):
    """The payment is being opened at the provider by another call (the same Idempotency-Key, sent
    twice at once): this one stops at once rather than wait."""

    code = "payment_opening"

    def __init__(self) -> None:
        super().__init__("this payment is being opened at the provider; ask again in a moment")


class AmountMismatch(Invalid):
    code = "amount_mismatch"

    def __init__(self, expected: int, given: int):
        super().__init__(
            "the provider reports another amount than the payment's",
            details={"expected_halalas": expected, "reported_halalas": given},
        )


class ProviderUnavailable(Unavailable):
    """The payment provider did not answer (in time, or at all) after the retries: nothing is lost,
    the same call may be made again."""

    code = "provider_unavailable"

    def __init__(self, provider: str, error: str):
        super().__init__(f"the payment provider ({provider}) cannot be reached; try again later", {"error": error})


class ProviderRefused(UpstreamFailed):
    code = "provider_refused"

    def __init__(self, provider: str, status: int, answer: str):
        super().__init__(
            f"the payment provider ({provider}) refused the request", {"status": status, "answer": answer[:500]}
        )


class RequestClosed(Conflict):
    code = "request_closed"

    def __init__(self, status: str):
        super().__init__(f"the request's fees are {status}; nothing can change them now", {"status": status})


class ExemptionExists(Conflict):
    code = "exemption_exists"

    def __init__(self) -> None:
        super().__init__("you already claimed this exemption for this request")


class WaiverExists(Conflict):
    code = "waiver_exists"

    def __init__(self) -> None:
        super().__init__("this decision was already recorded for this request")


class AlreadyDecided(Conflict):
    code = "already_decided"

    def __init__(self, what: str, status: str, **details: str):
        super().__init__(f"this {what} is already {status}", {"status": status, **details})


class InvoiceNotPaid(Conflict):
    code = "invoice_not_paid"

    def __init__(self, status: str):
        super().__init__(f"this invoice is {status}; only a paid fee can be refunded", {"status": status})


class ReasonRequired(Invalid):
    def __init__(self) -> None:
        super().__init__("a rejection needs a reason", {"reason": ["required to reject"]})


class AmountNotAllowed(Invalid):
    def __init__(self, message: str, problem: str):
        super().__init__(message, {"amount_halalas": [problem]})


class AmountExceedsPaid(Conflict):
    """More than was paid for the fee: the amount is well formed, but this refund cannot give it."""

    code = "amount_exceeds_paid"

    def __init__(self, paid: int):
        super().__init__(f"at most what was paid ({paid} halalas) is refunded", {"paid_halalas": paid})
