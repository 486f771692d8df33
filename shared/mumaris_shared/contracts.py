"""The events that cross service boundaries: their type names and the shape of their `data`.
Producers validate what they publish against these schemas and consumers rely on them, so a
contract change shows up in both services' tests."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

LANGUAGES = ("ar", "en")


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


ACCOUNT_REGISTERED = "accounts.account_registered"
VERIFICATION_CODE_ISSUED = "accounts.verification_code_issued"
ACCOUNT_ACTIVATED = "accounts.account_activated"

SCHEMAS: dict[str, type[Schema]] = {
    ACCOUNT_REGISTERED: AccountData,
    VERIFICATION_CODE_ISSUED: VerificationCodeIssuedData,
    ACCOUNT_ACTIVATED: AccountData,
}


def validated(event_type: str, data: dict) -> dict:
    """`data` checked against the contract of `event_type` (raises marshmallow.ValidationError)."""
    schema = SCHEMAS[event_type]()
    errors = schema.validate(data)
    if errors:
        raise ValidationError(errors)
    return data
