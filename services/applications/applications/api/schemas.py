"""Request and response bodies. Unknown fields are refused; text comes out trimmed."""
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from mumaris_shared.contracts import CATEGORIES, DECISIONS
from mumaris_shared.events import isoformat, utcnow

from ..domain.lifecycle import decision_reason


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Text(fields.String):
    """Trimmed, not empty, at most `max_length` characters."""

    def __init__(self, max_length: int, *validators, **kwargs):
        super().__init__(validate=[validate.Length(min=1, max=max_length), *validators], **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Moment(fields.DateTime):
    """UTC, written like the events' times: 2026-11-25T10:00:00Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isoformat(value)


def _not_in_the_future(year: int) -> None:
    if year > utcnow().year:
        raise ValidationError("the qualification cannot be obtained in a future year")


class QualificationSchema(_Strict):
    degree = Text(200, required=True)
    institution = Text(200, required=True)
    country = Text(100, required=True)
    year = fields.Integer(required=True, strict=True, validate=[validate.Range(min=1900), _not_in_the_future])


class ApplicationCreateSchema(_Strict):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    specialty = Text(200, required=True)
    qualification = fields.Nested(QualificationSchema, required=True)
    dataflow_reference = Text(64, validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$",
                                                  error="letters, digits and / _ . - only"), required=True)


class DecisionSchema(_Strict):
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


class TimelineEntrySchema(Schema):
    status = fields.String()
    at = Moment()
    by = fields.String()
    reason = fields.String(allow_none=True)


class ApplicationSummarySchema(Schema):
    number = fields.String()
    status = fields.String()
    membership_number = fields.String(allow_none=True)
    category = fields.String()
    specialty = fields.String()
    created_at = Moment()
    updated_at = Moment()


class ApplicationSchema(ApplicationSummarySchema):
    account_id = fields.String()
    qualification = fields.Nested(QualificationSchema)
    dataflow_reference = fields.String()
    submitted_at = Moment(allow_none=True)
    review_started_at = Moment(allow_none=True)
    decided_at = Moment(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))


class QueueEntrySchema(ApplicationSummarySchema):
    under_review_at = Moment()
    waiting_seconds = fields.Integer()
    review_started_at = Moment(allow_none=True)
    reviewer_id = fields.String(allow_none=True)


class PublicStatusSchema(Schema):
    number = fields.String()
    status = fields.String()
    updated_at = Moment()
