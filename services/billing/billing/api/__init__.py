"""The HTTP API under /v1 (docs/api.md). Views render the service's rows through the response
schemas; refusals are the service's domain errors, answered by the shared error handler."""

from flask import current_app, jsonify, request
from flask_smorest import Blueprint

from mumaris_shared.auth import APPLICANT, REVIEWER, SECRETARY_GENERAL, current_principal, require_roles
from mumaris_shared.identity import NOT_BLANK
from mumaris_shared.web import refusals

from ..domain.errors import IdempotencyKeyRequired
from ..domain.idempotency import MAX_KEY_LENGTH, check_key, fingerprint
from ..service import BillingService
from .schemas import (
    ApplicationQuerySchema,
    ExemptionClaimSchema,
    ExemptionDecisionSchema,
    ExemptionQuerySchema,
    ExemptionSchema,
    InvoiceSchema,
    PaymentSchema,
    PaymentStartSchema,
    RefundClaimSchema,
    RefundDecisionSchema,
    RefundQuerySchema,
    RefundSchema,
    SandboxCompletedSchema,
    SandboxCompletionSchema,
    WaiverAnswerSchema,
    WaiverSchema,
    WebhookAnswerSchema,
)

SERVICE_EXTENSION = "billing.service"
BEARER = [{"bearer": []}]
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": NOT_BLANK},
    "description": "names this attempt: repeating it gives back the first answer, once",
}

blueprint = Blueprint(
    "billing", __name__, url_prefix="/v1", description="Invoices, payments, exemptions, waivers and refunds"
)


def _service() -> BillingService:
    return current_app.extensions[SERVICE_EXTENSION]


@blueprint.get("/invoices")
@blueprint.arguments(ApplicationQuerySchema, location="query")
@blueprint.response(200, InvoiceSchema(many=True))
@blueprint.doc(security=BEARER)
@require_roles()
@refusals(blueprint, 404)
def invoices(query):
    """A request's invoices (its owner or staff)"""
    return _service().invoices(current_principal(), query["application"])


@blueprint.post("/invoices/<invoice_id>/payments")
@blueprint.arguments(PaymentStartSchema)
@blueprint.response(201, PaymentSchema)
@blueprint.doc(security=BEARER, parameters=[IDEMPOTENCY_KEY])
@require_roles()
@refusals(blueprint, 409, 502, 503)
def start_payment(body, invoice_id):
    """Start paying one's invoice; SADAD answers with the bill number to pay at any bank"""
    try:
        key = check_key(request.headers.get("Idempotency-Key"))
    except ValueError as exc:
        raise IdempotencyKeyRequired(str(exc)) from None
    status, answer = _service().start_payment(
        current_principal(),
        invoice_id,
        body["method"],
        key,
        fingerprint("POST", request.path, body),
        answer=PaymentSchema().dump,
    )
    response = jsonify(answer)  # rendered once, when first answered: a repeat answers the same
    response.status_code = status
    return response


@blueprint.get("/payments/<payment_id>")
@blueprint.response(200, PaymentSchema)
@blueprint.doc(security=BEARER)
@require_roles()
def payment(payment_id):
    """One of one's payments (or any, for staff)"""
    return _service().payment(current_principal(), payment_id)


@blueprint.post("/sandbox/payments/<payment_id>/complete")
@blueprint.arguments(SandboxCompletionSchema)
@blueprint.response(202, SandboxCompletedSchema)
@blueprint.doc(security=BEARER)
@require_roles()
@refusals(blueprint, 409)
def complete_sandbox_payment(body, payment_id):
    """Sandbox provider only: play the payer and the bank; the sandbox then sends its signed notice to
    the webhook, a moment later, as a gateway would"""
    return _service().complete_sandbox_payment(current_principal(), payment_id, body["outcome"])


@blueprint.post("/webhooks/<provider>")
@blueprint.response(200, WebhookAnswerSchema)
@refusals(blueprint, 401, 409, 422, 502, 503)
def provider_webhook(provider):
    """The configured payment provider's notice of a payment's or a refund's outcome: `sandbox`
    (header Sandbox-Signature) or `moyasar` (its secret token in the body); any other name is 404"""
    return _service().receive_webhook(provider, request.headers, request.get_data())


@blueprint.post("/exemptions")
@blueprint.arguments(ExemptionClaimSchema)
@blueprint.response(201, ExemptionSchema)
@blueprint.doc(security=BEARER)
@require_roles(APPLICANT)
@refusals(blueprint, 409)
def claim_exemption(body):
    """Claim an exemption (martyr's first-degree relative) for one's request, with evidence"""
    return _service().claim_exemption(
        current_principal(), body["application"], body["kind"], body["evidence_reference"]
    )


@blueprint.get("/exemptions")
@blueprint.arguments(ExemptionQuerySchema, location="query")
@blueprint.response(200, ExemptionSchema(many=True))
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
def exemptions(query):
    """Exemption claims, oldest first (`status=pending`: the reviewers' queue)"""
    return _service().exemptions(query.get("status"))


@blueprint.post("/exemptions/<exemption_id>/decision")
@blueprint.arguments(ExemptionDecisionSchema)
@blueprint.response(200, ExemptionSchema)
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@refusals(blueprint, 409)
def decide_exemption(body, exemption_id):
    """Approve or reject an exemption claim (a reason is required to reject)"""
    return _service().decide_exemption(current_principal(), exemption_id, body["decision"], body.get("reason"))


@blueprint.post("/waivers")
@blueprint.arguments(WaiverSchema)
@blueprint.response(201, WaiverAnswerSchema)
@blueprint.doc(security=BEARER)
@require_roles(SECRETARY_GENERAL)
@refusals(blueprint, 409)
def grant_waiver(body):
    """Record a secretary-general's waiver decision: the fee kinds it names are waived"""
    return _service().grant_waiver(current_principal(), body["application"], body["decision_number"], body["kinds"])


@blueprint.post("/refunds")
@blueprint.arguments(RefundClaimSchema)
@blueprint.response(201, RefundSchema)
@blueprint.alt_response(
    200, schema=RefundSchema, description="the invoice's refund was already recorded: it, unchanged"
)
@blueprint.doc(security=BEARER)
@require_roles()
@refusals(blueprint, 404, 409)
def claim_refund(body):
    """Claim a paid fee back (the invoice's owner): decided at once by the rules, or queued for a reviewer"""
    status, refund = _service().claim_refund(current_principal(), body["invoice"], body["reason"])
    return refund, status


@blueprint.get("/refunds")
@blueprint.arguments(RefundQuerySchema, location="query")
@blueprint.response(200, RefundSchema(many=True))
@blueprint.doc(security=BEARER)
@require_roles()
@refusals(blueprint, 404)
def refunds(query):
    """A request's refunds, automatic ones included (its owner or staff); or, staff only, all refunds
    in a status, oldest first (`status=pending_review`: the reviewers' queue, with `decide_by`)"""
    return _service().refunds(current_principal(), query.get("application"), query.get("status"))


@blueprint.get("/refunds/<refund_id>")
@blueprint.response(200, RefundSchema)
@blueprint.doc(security=BEARER)
@require_roles()
def refund(refund_id):
    """One refund (its owner or staff)"""
    return _service().refund(current_principal(), refund_id)


@blueprint.post("/refunds/<refund_id>/decision")
@blueprint.arguments(RefundDecisionSchema)
@blueprint.response(200, RefundSchema)
@blueprint.doc(security=BEARER)
@require_roles(REVIEWER)
@refusals(blueprint, 409)
def decide_refund(body, refund_id):
    """Approve (optionally a smaller amount) or reject (with a reason) a claim waiting for a reviewer"""
    return _service().decide_refund(
        current_principal(), refund_id, body["decision"], body.get("reason"), body.get("amount_halalas")
    )
