"""The events that cross service boundaries: their type names and the shape of their `data`.
Producers validate what they publish against these schemas and consumers rely on them, so a
contract change shows up in both services' tests."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, missing, validate

from .quick_check import Check, schema_check

LANGUAGES = ("ar", "en")
CATEGORIES = ("technician", "specialist", "general_practitioner", "resident", "pharmacist", "registrar", "consultant")
PAYMENT_METHODS = ("sadad", "mada", "credit_card", "apple_pay")


class FeeKind(StrEnum):
    """What a request's invoices are for, in the order they are issued and listed: a registration
    owes the administrative and the service (classification) fee (R3), a renewal the administrative
    and the renewal fee; a reviewer's classification may add the difference of the category fee."""

    ADMINISTRATIVE = "administrative"
    SERVICE = "service"
    RENEWAL = "renewal"
    CLASSIFICATION_DIFFERENCE = "classification_difference"


FEE_KINDS = tuple(FeeKind)


class RequestKind(StrEnum):
    """A first registration, or the renewal of a licence (reviewed and paid like the first)."""

    REGISTRATION = "registration"
    RENEWAL = "renewal"


REQUEST_KINDS = tuple(RequestKind)


class DataflowOutcome(StrEnum):
    """A reviewer's record of the primary-source verification (Dataflow) of a qualification."""

    VERIFIED = "verified"
    DISCREPANCY = "discrepancy"


DATAFLOW_OUTCOMES = tuple(DataflowOutcome)


class Decision(StrEnum):
    """What a reviewer (or the secretary-general) decides."""

    APPROVE = "approve"
    REJECT = "reject"


DECISIONS = tuple(Decision)


class _Data(Schema):
    class Meta:
        unknown = EXCLUDE  # consumers accept fields added by newer producers


class AccountData(_Data):
    account_id = fields.String(required=True)
    email = fields.Email(required=True)
    full_name = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class VerificationCodeIssuedData(AccountData):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    expires_at = fields.String(required=True)  # ISO 8601, UTC
    valid_minutes = fields.Integer(required=True)


class RequestData(_Data):
    """Every event about a registration request names it and its owner."""

    application_number = fields.String(required=True)
    account_id = fields.String(required=True)


class ApplicationSubmittedData(RequestData):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    specialty = fields.String(required=True)
    submitted_at = fields.String(required=True)
    kind = fields.String(load_default=RequestKind.REGISTRATION, validate=validate.OneOf(REQUEST_KINDS))


class ReviewStartedData(RequestData):
    reviewer_id = fields.String(required=True)
    started_at = fields.String(required=True)


class ApplicationApprovedData(RequestData):
    membership_number = fields.String(required=True)
    decided_at = fields.String(required=True)
    kind = fields.String(load_default=RequestKind.REGISTRATION, validate=validate.OneOf(REQUEST_KINDS))
    valid_until = fields.String(allow_none=True, load_default=None)  # the licence's new expiry


class ApplicationReturnedData(RequestData):
    """A reviewer returned the request for corrections: what to correct, why, and by when."""

    reason = fields.String(required=True)
    items = fields.List(fields.String(), required=True)  # the fields or document kinds to correct
    returned_at = fields.String(required=True)
    correct_by = fields.String(required=True)  # after it, the request is cancelled


class ApplicationResubmittedData(RequestData):
    resubmitted_at = fields.String(required=True)


class DataflowRecordedData(RequestData):
    outcome = fields.String(required=True, validate=validate.OneOf(DATAFLOW_OUTCOMES))
    note = fields.String(allow_none=True, load_default=None)
    recorded_at = fields.String(required=True)


class ApplicationClassifiedData(RequestData):
    """The reviewer's final professional classification; billing invoices or refunds a difference."""

    kind = fields.String(load_default=RequestKind.REGISTRATION, validate=validate.OneOf(REQUEST_KINDS))
    previous_category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    classified_at = fields.String(required=True)


class LicenceData(RequestData):
    """Every event about a licence names its membership number (and the request that holds it)."""

    membership_number = fields.String(required=True)
    valid_until = fields.String(required=True)


class LicenceReminderDueData(LicenceData):
    before_expiry = fields.String(required=True)  # ISO 8601 duration: P90D, P30D, P7D
    licence_status = fields.String(required=True)  # active | expiring


class LicenceExpiredData(LicenceData):
    expired_at = fields.String(required=True)


class CpdActivityData(LicenceData):
    activity_id = fields.String(required=True)
    title = fields.String(required=True)
    hours = fields.String(required=True)  # a decimal: "7.5"


class CpdActivityDecidedData(CpdActivityData):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(allow_none=True, load_default=None)


class ApplicationRejectedData(RequestData):
    reason = fields.String(required=True)
    decided_at = fields.String(required=True)


class ApplicationCancelledData(RequestData):
    reason = fields.String(required=True)  # payment_deadline_expired
    cancelled_at = fields.String(required=True)


class ApplicationWithdrawnData(RequestData):
    previous_status = fields.String(required=True)
    withdrawn_at = fields.String(required=True)
    # When the review had started, if it had: no refund once it did (R8). Carried here so the
    # refund decision does not depend on the order two events arrive in.
    review_started_at = fields.String(allow_none=True, load_default=None)


class InvoiceData(_Data):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(FEE_KINDS))
    amount_halalas = fields.Integer(required=True)
    status = fields.String(required=True)
    due_at = fields.String(required=True)
    sadad_bill_number = fields.String(required=True)


class InvoiceIssuedData(RequestData):
    invoice = fields.Nested(InvoiceData, required=True)


class FeesAssessedData(RequestData):
    """Both invoices of a request, issued together: what the applicant owes and by when."""

    invoices = fields.List(fields.Nested(InvoiceData), required=True)
    due_at = fields.String(required=True)


class PaymentReceivedData(RequestData):
    invoice_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(FEE_KINDS))
    payment_id = fields.String(required=True)
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    amount_halalas = fields.Integer(required=True)
    paid_at = fields.String(required=True)


class FeesSettledData(RequestData):
    settled_at = fields.String(required=True)


class PaymentReminderDueData(RequestData):
    due_at = fields.String(required=True)
    before_deadline = fields.String(required=True)  # ISO 8601 duration: P7D, P1D
    invoices = fields.List(fields.Nested(InvoiceData), required=True)  # those still unpaid


class PaymentDeadlineExpiredData(RequestData):
    due_at = fields.String(required=True)
    expired_at = fields.String(required=True)


class ExemptionDecidedData(RequestData):
    exemption_id = fields.String(required=True)
    kind = fields.String(required=True)  # martyr_relative
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(required=True, allow_none=True)


class WaiverGrantedData(RequestData):
    waiver_id = fields.String(required=True)
    decision_number = fields.String(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(FEE_KINDS)), required=True)


class RefundTermsData(_Data):
    """The refund settings a decision was made under, so whoever tells the applicant says what the
    rules said (R9): the window after paying, the share refunded, the decision limit."""

    window = fields.String(required=True)  # ISO 8601 duration: P30D
    share = fields.String(required=True)  # a decimal between 0 and 1: "0.5"
    decision_sla = fields.String(required=True)  # ISO 8601 duration: P15D


class RefundDecidedData(RequestData):
    refund_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    status = fields.String(required=True)  # approved | rejected | pending_review
    amount_halalas = fields.Integer(required=True)
    rule = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)  # a reviewer's words, when one decided
    terms = fields.Nested(RefundTermsData, required=True)


class RefundPaidData(RequestData):
    refund_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    amount_halalas = fields.Integer(required=True)
    paid_at = fields.String(required=True)


class RefundEscalatedData(RequestData):
    """A refund claim still undecided close to its decision limit (R9: 15 days)."""

    refund_id = fields.String(required=True)
    invoice_id = fields.String(required=True)
    amount_halalas = fields.Integer(required=True)
    claimed_at = fields.String(required=True)
    decide_by = fields.String(required=True)


class DataUpdateData(RequestData):
    update_id = fields.String(required=True)
    membership_number = fields.String(required=True)


class DataUpdateSubmittedData(DataUpdateData):
    fields_changed = fields.List(fields.String(), required=True)
    submitted_at = fields.String(required=True)


class DataUpdateApprovedData(DataUpdateData):
    decided_at = fields.String(required=True)


class DataUpdateRejectedData(DataUpdateData):
    reason = fields.String(required=True)
    decided_at = fields.String(required=True)


ACCOUNT_REGISTERED = "accounts.account_registered"
VERIFICATION_CODE_ISSUED = "accounts.verification_code_issued"
# A code to reset a forgotten password: the same data as an activation code, for another e-mail.
PASSWORD_RESET_CODE_ISSUED = "accounts.password_reset_code_issued"
ACCOUNT_ACTIVATED = "accounts.account_activated"

APPLICATION_SUBMITTED = "applications.application_submitted"
APPLICATION_REVIEW_STARTED = "applications.application_review_started"
APPLICATION_APPROVED = "applications.application_approved"
APPLICATION_REJECTED = "applications.application_rejected"
APPLICATION_CANCELLED = "applications.application_cancelled"
APPLICATION_WITHDRAWN = "applications.application_withdrawn"
DATA_UPDATE_SUBMITTED = "applications.data_update_submitted"
DATA_UPDATE_APPROVED = "applications.data_update_approved"
DATA_UPDATE_REJECTED = "applications.data_update_rejected"
APPLICATION_RETURNED = "applications.application_returned"
APPLICATION_RESUBMITTED = "applications.application_resubmitted"
DATAFLOW_RECORDED = "applications.dataflow_recorded"
APPLICATION_CLASSIFIED = "applications.application_classified"
LICENCE_REMINDER_DUE = "applications.licence_reminder_due"
LICENCE_EXPIRED = "applications.licence_expired"
CPD_ACTIVITY_RECORDED = "applications.cpd_activity_recorded"
CPD_ACTIVITY_DECIDED = "applications.cpd_activity_decided"

INVOICE_ISSUED = "billing.invoice_issued"
FEES_ASSESSED = "billing.fees_assessed"
PAYMENT_RECEIVED = "billing.payment_received"
FEES_SETTLED = "billing.fees_settled"
PAYMENT_REMINDER_DUE = "billing.payment_reminder_due"
PAYMENT_DEADLINE_EXPIRED = "billing.payment_deadline_expired"
EXEMPTION_DECIDED = "billing.exemption_decided"
WAIVER_GRANTED = "billing.waiver_granted"
REFUND_DECIDED = "billing.refund_decided"
REFUND_PAID = "billing.refund_paid"
REFUND_ESCALATED = "billing.refund_escalated"

SCHEMAS: dict[str, type[Schema]] = {
    ACCOUNT_REGISTERED: AccountData,
    VERIFICATION_CODE_ISSUED: VerificationCodeIssuedData,
    PASSWORD_RESET_CODE_ISSUED: VerificationCodeIssuedData,
    ACCOUNT_ACTIVATED: AccountData,
    APPLICATION_SUBMITTED: ApplicationSubmittedData,
    APPLICATION_REVIEW_STARTED: ReviewStartedData,
    APPLICATION_APPROVED: ApplicationApprovedData,
    APPLICATION_REJECTED: ApplicationRejectedData,
    APPLICATION_CANCELLED: ApplicationCancelledData,
    APPLICATION_WITHDRAWN: ApplicationWithdrawnData,
    INVOICE_ISSUED: InvoiceIssuedData,
    FEES_ASSESSED: FeesAssessedData,
    PAYMENT_RECEIVED: PaymentReceivedData,
    FEES_SETTLED: FeesSettledData,
    PAYMENT_REMINDER_DUE: PaymentReminderDueData,
    PAYMENT_DEADLINE_EXPIRED: PaymentDeadlineExpiredData,
    EXEMPTION_DECIDED: ExemptionDecidedData,
    WAIVER_GRANTED: WaiverGrantedData,
    REFUND_DECIDED: RefundDecidedData,
    REFUND_PAID: RefundPaidData,
    REFUND_ESCALATED: RefundEscalatedData,
    DATA_UPDATE_SUBMITTED: DataUpdateSubmittedData,
    DATA_UPDATE_APPROVED: DataUpdateApprovedData,
    DATA_UPDATE_REJECTED: DataUpdateRejectedData,
    APPLICATION_RETURNED: ApplicationReturnedData,
    APPLICATION_RESUBMITTED: ApplicationResubmittedData,
    DATAFLOW_RECORDED: DataflowRecordedData,
    APPLICATION_CLASSIFIED: ApplicationClassifiedData,
    LICENCE_REMINDER_DUE: LicenceReminderDueData,
    LICENCE_EXPIRED: LicenceExpiredData,
    CPD_ACTIVITY_RECORDED: CpdActivityData,
    CPD_ACTIVITY_DECIDED: CpdActivityDecidedData,
}


@cache
def _schema(event_type: str) -> Schema:
    return SCHEMAS[event_type]()  # holds no state between loads: one instance serves every event


def validated(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked against the contract of `event_type` (raises marshmallow.ValidationError),
    with the contract's defaults for optional fields the producer left out, so a consumer can tell
    "none given" from a field it does not know."""
    schema = _schema(event_type)
    check = _quick_check(event_type)
    if check is None or not check(data):
        errors = schema.validate(data)
        if errors:
            raise ValidationError(errors)
    return {**_defaults(event_type), **data}


@cache
def _defaults(event_type: str) -> dict[str, Any]:
    return {
        name: field.load_default
        for name, field in _schema(event_type).fields.items()
        if not field.required and field.load_default is not missing
    }


@cache
def _quick_check(event_type: str) -> Check | None:
    """`quick_check.schema_check` of the contract of `event_type`."""
    return schema_check(_schema(event_type))
