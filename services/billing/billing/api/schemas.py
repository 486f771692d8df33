"""Request and response bodies (the field names of docs/api.md's contract are fixed). Unknown fields
in a request are refused. Response schemas render the service's rows: they are billing's views."""

from marshmallow import Schema, fields, post_dump, validate

from mumaris_shared.contracts import DECISIONS, FEE_KINDS
from mumaris_shared.schemas import Moment, Strict, Text, decision_rules

from ..domain.exemptions import EXEMPTION_KINDS, ExemptionStatus
from ..domain.payments import METHODS, OUTCOMES, SADAD
from ..domain.refunds import RefundStatus

MAX_HALALAS = 10**9  # ten million riyals: more than any fee, within every database's integers


class ApplicationQuerySchema(Strict):
    application = Text(64, required=True)


class PaymentStartSchema(Strict):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))


class SandboxCompletionSchema(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))


class ExemptionClaimSchema(Strict):
    application = Text(64, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(EXEMPTION_KINDS))
    evidence_reference = Text(200, required=True)


class ExemptionQuerySchema(Strict):
    status = fields.String(validate=validate.OneOf(tuple(ExemptionStatus)))


class ExemptionDecisionSchema(Strict):
    class Meta(Strict.Meta):
        openapi = decision_rules()

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))  # required to reject


class WaiverSchema(Strict):
    application = Text(64, required=True)
    decision_number = Text(64, required=True)
    kinds = fields.List(
        fields.String(validate=validate.OneOf(FEE_KINDS)),
        required=True,
        validate=validate.Length(min=1, max=len(FEE_KINDS)),
    )


class RefundClaimSchema(Strict):
    invoice = Text(64, required=True)
    reason = Text(2000, required=True)  # the applicant's words: why they ask for it


class RefundQuerySchema(Strict):
    application = Text(64)  # a request's refunds (its owner or staff)
    # without an application: staff only (all refunds, or those in the status; pending_review is the queue)
    status = fields.String(validate=validate.OneOf(tuple(RefundStatus)))


class RefundDecisionSchema(Strict):
    class Meta(Strict.Meta):
        openapi = decision_rules(reject_forbids=("amount_halalas",))

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))  # required to reject
    # to approve only: at most what was paid (409 otherwise); by default the amount claimed (the whole fee paid)
    amount_halalas = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_HALALAS))


class RefundSchema(Schema):
    id = fields.String()
    invoice = fields.String(attribute="invoice_id")
    application = fields.String(attribute="application_number")
    kind = fields.String(allow_none=True)  # the fee: administrative | service
    status = fields.String()  # pending_review | approved | rejected | paying | paid | payout_failed
    amount_halalas = fields.Integer()  # paid back (approved and after); claimed (pending_review); 0 (rejected)
    rule = fields.String()  # the rule that decided (domain/refunds.py), or reviewer_decision
    origin = fields.String()  # claim | withdrawal | over_payment
    payment = fields.String(attribute="payment_id", allow_none=True)  # the payment refunded
    claim_reason = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)  # the reviewer's
    created_at = Moment()
    decide_by = Moment(allow_none=True)
    decided_at = Moment(allow_none=True)
    escalated_at = Moment(allow_none=True)
    paid_at = Moment(allow_none=True)


class InvoiceSchema(Schema):
    id = fields.String()
    application = fields.String(attribute="application_number")
    kind = fields.String()
    amount_halalas = fields.Integer()
    status = fields.String()
    due_at = Moment()
    sadad_bill_number = fields.String()
    issued_at = Moment()
    paid_at = Moment(allow_none=True)
    waived_by = fields.String(allow_none=True)  # exemption | waiver
    waiver_reference = fields.String(allow_none=True)  # the exemption id or the decision number


class PaymentSchema(Schema):
    id = fields.String()
    status = fields.String()
    invoice = fields.String(attribute="invoice_id")
    method = fields.String()
    amount_halalas = fields.Integer()
    provider = fields.String()
    provider_reference = fields.String()
    bill_number = fields.String()  # SADAD only: the bill number to pay at any bank
    redirect_url = fields.String(allow_none=True)  # the provider's page to send the payer to, to pay there
    created_at = Moment()
    completed_at = Moment(allow_none=True)

    @post_dump(pass_original=True)
    def _sadad_only(self, data, payment, **kwargs):
        if payment.method != SADAD:
            data.pop("bill_number", None)
        return data


class SandboxCompletedSchema(Schema):
    payment = fields.String()
    outcome = fields.String()  # what the sandbox's notice will say


class WebhookAnswerSchema(Schema):
    id = fields.String()
    payment = fields.String()
    refund = fields.String()  # refund notices only
    effect = fields.String()  # captured | failed | over_payment | refund_paid | refund_failed | ignored


class ExemptionSchema(Schema):
    id = fields.String()
    application = fields.String(attribute="application_number")
    account_id = fields.String()
    kind = fields.String()
    evidence_reference = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    claimed_at = Moment()
    decided_at = Moment(allow_none=True)


class WaiverAnswerSchema(Schema):
    id = fields.String()
    application = fields.String(attribute="application_number")
    decision_number = fields.String()
    kinds = fields.List(fields.String())
    granted_at = Moment()
