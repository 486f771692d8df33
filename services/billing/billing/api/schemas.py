"""Request and response bodies (DESIGN.md section 9: these field names are fixed). Unknown fields
in a request are refused."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mumaris_shared.contracts import DECISIONS
from mumaris_shared.schemas import Strict

from ..domain.exemptions import EXEMPTION_KINDS, EXEMPTION_STATUSES
from ..domain.fees import FEE_KINDS
from ..domain.payments import METHODS, OUTCOMES
from ..domain.refunds import REFUND_STATUSES


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class ApplicationQuerySchema(Strict):
    application = _text(64, required=True)


class PaymentStartSchema(Strict):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))


class SandboxCompletionSchema(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))


class ExemptionClaimSchema(Strict):
    application = _text(64, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(EXEMPTION_KINDS))
    evidence_reference = _text(200, required=True)


class ExemptionQuerySchema(Strict):
    status = fields.String(validate=validate.OneOf(EXEMPTION_STATUSES))


class ExemptionDecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))  # required to reject


class WaiverSchema(Strict):
    application = _text(64, required=True)
    decision_number = _text(64, required=True)
    kinds = fields.List(
        fields.String(validate=validate.OneOf(FEE_KINDS)),
        required=True,
        validate=validate.Length(min=1, max=len(FEE_KINDS)),
    )


class RefundClaimSchema(Strict):
    invoice = _text(64, required=True)
    reason = _text(2000, required=True)  # the applicant's words: why they ask for it


class RefundQuerySchema(Strict):
    application = _text(64)  # a request's refunds (its owner or staff)
    status = fields.String(validate=validate.OneOf(REFUND_STATUSES))  # alone: staff; pending_review is the queue

    @validates_schema
    def _one_filter(self, data, **kwargs):
        if not data:
            raise ValidationError("name an application, or (staff) a status", "application")


class RefundDecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))  # required to reject
    # to approve only: at most what was paid; by default the amount claimed (the whole fee paid)
    amount_halalas = fields.Integer(strict=True, validate=validate.Range(min=1))


class RefundSchema(Schema):
    id = fields.String()
    invoice = fields.String()
    application = fields.String()
    kind = fields.String(allow_none=True)  # the fee: administrative | service
    status = fields.String()  # pending_review | approved | rejected | paying | paid | payout_failed
    amount_halalas = fields.Integer()  # paid back (approved and after); claimed (pending_review); 0 (rejected)
    rule = fields.String()  # the rule that decided (domain/refunds.py), or reviewer_decision
    origin = fields.String()  # claim | withdrawal | over_payment
    payment = fields.String(allow_none=True)  # the payment refunded
    claim_reason = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)  # the reviewer's
    created_at = fields.String()
    decide_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    escalated_at = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)


class InvoiceSchema(Schema):
    id = fields.String()
    application = fields.String()
    kind = fields.String()
    amount_halalas = fields.Integer()
    status = fields.String()
    due_at = fields.String()
    sadad_bill_number = fields.String()
    issued_at = fields.String()
    paid_at = fields.String(allow_none=True)
    waived_by = fields.String(allow_none=True)  # exemption | waiver
    waiver_reference = fields.String(allow_none=True)  # the exemption id or the decision number


class PaymentSchema(Schema):
    id = fields.String()
    status = fields.String()
    invoice = fields.String()
    method = fields.String()
    amount_halalas = fields.Integer()
    provider = fields.String()
    provider_reference = fields.String()
    bill_number = fields.String()  # SADAD only: the bill number to pay at any bank
    created_at = fields.String()
    completed_at = fields.String(allow_none=True)


class SandboxCompletedSchema(Schema):
    payment = fields.String()
    outcome = fields.String()
    webhook = fields.Dict()  # {status, answer}: what billing's webhook answered the sandbox


class WebhookAnswerSchema(Schema):
    id = fields.String()
    payment = fields.String()
    refund = fields.String()  # refund notices only
    effect = fields.String()  # captured | failed | over_payment | refund_paid | refund_failed | ignored


class ExemptionSchema(Schema):
    id = fields.String()
    application = fields.String()
    account_id = fields.String()
    kind = fields.String()
    evidence_reference = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    claimed_at = fields.String()
    decided_at = fields.String(allow_none=True)


class WaiverAnswerSchema(Schema):
    id = fields.String()
    application = fields.String()
    decision_number = fields.String()
    kinds = fields.List(fields.String())
    granted_at = fields.String()
