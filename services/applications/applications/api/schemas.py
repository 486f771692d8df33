"""Request and response bodies. Unknown fields are refused; text comes out trimmed."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from mumaris_shared.contracts import CATEGORIES, DATAFLOW_OUTCOMES, DECISIONS
from mumaris_shared.events import utcnow
from mumaris_shared.identity import normalise_mobile
from mumaris_shared.schemas import Moment, Normalised, NormalisedEmail, Strict, Text

from ..domain.lifecycle import decision_reason
from ..domain.review import return_names_what_to_correct
from ..domain.updates import (
    ADDRESS,
    EMAIL,
    EMPLOYER,
    MOBILE,
    QUALIFICATION,
    SPECIALTY,
    UPDATABLE,
    an_update_changes_something,
)


def _not_in_the_future(year: int) -> None:
    if year > utcnow().year:
        raise ValidationError("the qualification cannot be obtained in a future year")


class QualificationSchema(Strict):
    degree = Text(200, required=True)
    institution = Text(200, required=True)
    country = Text(100, required=True)
    year = fields.Integer(required=True, strict=True, validate=[validate.Range(min=1900), _not_in_the_future])


def dataflow_reference(**options) -> Text:
    return Text(
        64, validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$", error="letters, digits and / _ . - only"), **options
    )


class ApplicationCreateSchema(Strict):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    specialty = Text(200, required=True)
    qualification = fields.Nested(QualificationSchema, required=True)
    dataflow_reference = dataflow_reference(required=True)


class EditSchema(Strict):
    """What the owner may change in a draft or a returned request: any of its fields, at least one."""

    category = fields.String(validate=validate.OneOf(CATEGORIES))
    specialty = Text(200)
    qualification = fields.Nested(QualificationSchema)
    dataflow_reference = dataflow_reference()

    @validates_schema
    def _changes_something(self, data, **_kwargs):
        if not data:
            raise ValidationError("change at least one field", "_schema")


class ReturnSchema(Strict):
    reason = Text(2000, required=True)
    items = fields.List(fields.String(), required=True)

    @validates_schema
    def _names_what_to_correct(self, data, **_kwargs):
        try:
            return_names_what_to_correct(data["items"])
        except ValueError as exc:
            raise ValidationError(str(exc), "items") from None

    @post_load
    def _each_once(self, data, **_kwargs):
        return {**data, "items": return_names_what_to_correct(data["items"])}


class DataflowSchema(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(DATAFLOW_OUTCOMES))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ClassificationSchema(Strict):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))


class DecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _reason_given_when_needed(self, data, **_kwargs):
        try:
            decision_reason(data["decision"], data.get("reason"))
        except ValueError as exc:
            raise ValidationError(str(exc), "reason") from None

    @post_load
    def _normalise_reason(self, data, **_kwargs):
        return {**data, "reason": decision_reason(data["decision"], data.get("reason"))}


class EmployerSchema(Strict):
    name = Text(200, required=True)
    city = Text(100, required=True)


class ChangesSchema(Strict):
    """The fields a data update may change (domain/updates.UPDATABLE), each optional, none null;
    a qualification or an employer is given whole."""

    email = NormalisedEmail(data_key=EMAIL)
    mobile = Normalised(normalise_mobile, data_key=MOBILE)
    address = Text(500, data_key=ADDRESS)
    specialty = Text(200, data_key=SPECIALTY)
    qualification = fields.Nested(QualificationSchema, data_key=QUALIFICATION)
    employer = fields.Nested(EmployerSchema, data_key=EMPLOYER)


assert tuple(ChangesSchema().fields) == UPDATABLE, "ChangesSchema declares exactly the updatable fields"


class DataUpdateCreateSchema(Strict):
    changes = fields.Nested(ChangesSchema, required=True)

    @validates_schema
    def _changes_something(self, data, **_kwargs):
        try:
            an_update_changes_something(data["changes"])
        except ValueError as exc:
            raise ValidationError(str(exc), "changes") from None


class TimelineEntrySchema(Schema):
    status = fields.String()
    at = Moment()
    by = fields.String()
    reason = fields.String(allow_none=True)
    update_id = fields.String()  # only on update_* entries: the data update they are about


class ApplicationSummarySchema(Schema):
    number = fields.String()
    kind = fields.String()  # registration | renewal
    status = fields.String()
    membership_number = fields.String(allow_none=True)
    renews = fields.String(allow_none=True)  # a renewal: the membership number it renews
    category = fields.String()
    specialty = fields.String()
    created_at = Moment()
    updated_at = Moment()


class ReturnedSchema(Schema):
    reason = fields.String()
    items = fields.List(fields.String())
    returned_at = Moment()
    correct_by = Moment()


class DataflowCheckSchema(Schema):
    outcome = fields.String()
    note = fields.String(allow_none=True)
    recorded_at = Moment()


class DocumentSchema(Schema):
    id = fields.String()
    kind = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class ApplicationSchema(ApplicationSummarySchema):
    account_id = fields.String()
    qualification = fields.Nested(QualificationSchema)
    dataflow_reference = fields.String()
    submitted_at = Moment(allow_none=True)
    review_started_at = Moment(allow_none=True)
    decided_at = Moment(allow_none=True)
    returned = fields.Nested(ReturnedSchema, allow_none=True)  # the last return for corrections
    dataflow = fields.Nested(DataflowCheckSchema, allow_none=True)
    applied_category = fields.String()  # the category applied for (category: as classified)
    classified_at = Moment(allow_none=True)
    fees_outstanding = fields.Boolean()  # a classification's fee difference not settled yet
    documents = fields.List(fields.Nested(DocumentSchema))
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class QueueQuerySchema(Strict):
    account = fields.List(fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=100))


class QueueEntrySchema(ApplicationSummarySchema):
    kind = fields.String()  # "application" or "data_update"
    account_id = fields.String()  # the applicant's
    request_kind = fields.String()  # requests only: registration | renewal
    update_id = fields.String()  # data updates only
    fields_changed = fields.List(fields.String())  # data updates only
    under_review_at = Moment()  # for a data update: when it was submitted
    waiting_seconds = fields.Integer()
    review_started_at = Moment(allow_none=True)
    reviewer_id = fields.String(allow_none=True)


class PublicStatusSchema(Schema):
    number = fields.String()
    status = fields.String()
    updated_at = Moment()


class MembershipDataSchema(Schema):
    email = fields.String(allow_none=True)
    mobile = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    specialty = fields.String()
    qualification = fields.Nested(QualificationSchema)
    employer = fields.Nested(EmployerSchema, allow_none=True)


class DataUpdateSchema(Schema):
    id = fields.String()
    membership_number = fields.String()
    number = fields.String()  # the request's
    account_id = fields.String()
    status = fields.String()
    changes = fields.Dict()
    fields_changed = fields.List(fields.String())
    submitted_at = Moment()
    review_started_at = Moment(allow_none=True)
    reviewer_id = fields.String(allow_none=True)
    decided_at = Moment(allow_none=True)
    reason = fields.String(allow_none=True)


class MembershipVersionSchema(Schema):
    version = fields.Integer()
    data = fields.Nested(MembershipDataSchema)
    replaced_at = Moment()
    update_id = fields.String()  # the update that replaced it


class MembershipSchema(MembershipDataSchema):
    """The licence, the current data (MembershipDataSchema's fields) and the request it belongs to."""

    licence_status = fields.String()  # active | expiring | expired
    valid_from = Moment()  # the current period's start
    valid_until = Moment()
    renewal_opens_at = Moment()
    renewals = fields.Integer()
    classification = fields.String()
    cpd_hours_counted = fields.String()  # a decimal: this period's hours, not rejected
    cpd_hours_required = fields.String()
    open_renewal = fields.String(allow_none=True)  # the number of a renewal in progress

    membership_number = fields.String()
    number = fields.String()  # the request's
    account_id = fields.String()
    status = fields.String()  # the request's: approved
    category = fields.String()
    version = fields.Integer()  # of the current data
    history = fields.List(fields.Nested(MembershipVersionSchema))  # previous versions, oldest first
    updates = fields.List(fields.Nested(DataUpdateSchema))  # oldest first
