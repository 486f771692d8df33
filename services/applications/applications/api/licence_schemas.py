"""Bodies of the licence, CPD, register and document calls. Unknown fields are refused."""

import re
from decimal import Decimal

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates

from mumaris_shared.contracts import DECISIONS
from mumaris_shared.schemas import Moment, Strict, Text

from ..domain.cpd import MAX_HOURS_PER_ACTIVITY, valid_hours
from ..domain.documents import DOCUMENT_KINDS

# Hours as text (what a form sends): more than 0, at most 200, in quarter hours, written plainly.
HOURS_TEXT = r"^(?:(?:[1-9][0-9]?|1[0-9]{2})(?:\.(?:0|00|25|5|50|75))?|200(?:\.0|\.00)?|0\.(?:25|5|50|75))$"


class Hours(fields.Field):
    """An activity's hours: a JSON number, or text in the plain form of HOURS_TEXT; a Decimal.
    The OpenAPI document shows both forms; domain/cpd.valid_hours then judges the value."""

    def _deserialize(self, value, attr, data, **kwargs):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (is_number or (isinstance(value, str) and re.match(HOURS_TEXT, value))):
            raise ValidationError("hours are a number, or text like 7.5")
        return Decimal(str(value))


class CpdActivityCreateSchema(Strict):
    title = Text(200, required=True)
    provider = Text(200, required=True)
    date = fields.Date(required=True)
    hours = Hours(
        required=True,
        metadata={
            "oneOf": [
                {"type": "number", "minimum": 0.25, "maximum": float(MAX_HOURS_PER_ACTIVITY), "multipleOf": 0.25},
                {"type": "string", "pattern": HOURS_TEXT},
            ]
        },
    )

    @validates("hours")
    def _hours(self, value, **_kwargs):
        try:
            valid_hours(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class CpdActivitySchema(Schema):
    id = fields.String()
    membership_number = fields.String()
    title = fields.String()
    provider = fields.String()
    date = fields.Date(attribute="on")
    hours = fields.Decimal(as_string=True)
    status = fields.String()  # pending | accepted | rejected
    recorded_at = Moment()
    decided_at = Moment(allow_none=True)
    reason = fields.String(allow_none=True)


class CpdDecisionSchema(Strict):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))  # approve = accept
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RegisterEntrySchema(Schema):
    """The public register: these fields and nothing more."""

    membership_number = fields.String()
    full_name = fields.String(allow_none=True)
    classification = fields.String()
    specialty = fields.String()
    licence_status = fields.String()
    valid_until = Moment()


class RegisterQuerySchema(Strict):
    name = Text(200, validate.Length(min=2), required=True)
    specialty = Text(200, required=True)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


class RegisterPageSchema(Schema):
    items = fields.List(fields.Nested(RegisterEntrySchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class UploadKindSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))


class UploadFileSchema(Schema):
    file = Upload(required=True)


class UploadSchema(UploadKindSchema, UploadFileSchema):
    """The multipart body as a whole (read as its form part and its file part), for the document."""


UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": UploadSchema}}}


class UploadedSchema(Schema):
    id = fields.String()
    kind = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    filename = fields.String(allow_none=True)
    uploaded_at = Moment()


class DocumentLinkSchema(UploadedSchema):
    attached_to = fields.String()  # application | data_update | cpd_activity
    url = fields.String()  # works until expires_at, without a token
    expires_at = fields.Integer()  # seconds since the epoch


class LinkQuerySchema(Schema):
    expires = fields.Integer(required=True)
    # HMAC-SHA256 in hex; any other text is a link not ours (403), bounded so a URL stays short
    signature = fields.String(required=True, validate=validate.Length(max=128))
