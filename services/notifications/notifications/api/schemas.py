from marshmallow import Schema, fields, validate

from ..adapters.deliveries import STATUSES


class DeliveryQuery(Schema):
    recipient = fields.Email(
        validate=validate.Length(max=254), metadata={"description": "only e-mails to this address"}
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "at most this many, newest first"},
    )


class Delivery(Schema):
    id = fields.String()
    event_type = fields.String()
    template = fields.String()
    recipient = fields.String()
    language = fields.String()
    subject = fields.String()
    status = fields.String(
        metadata={"description": "pending (waiting or retrying), sent, or failed (refused for good)"}
    )
    attempts = fields.Integer()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
