"""Request and response bodies. Unknown fields are refused; e-mail, name, national ID and mobile
come out normalised by the shared rules (mumaris_shared/identity.py)."""

from marshmallow import Schema, fields, validate

from mumaris_shared.contracts import LANGUAGES
from mumaris_shared.identity import (
    ACCOUNT_ID_PATTERN,
    FULL_NAME_MAX,
    FULL_NAME_PATTERN,
    MOBILE_PATTERN,
    NATIONAL_ID_PATTERN,
    normalise_full_name,
    normalise_mobile,
    normalise_national_id,
)
from mumaris_shared.schemas import Normalised, NormalisedEmail, Strict

from ..domain.codes import CODE_PATTERN, normalise_code
from ..domain.passwords import MAX_LENGTH, MIN_LENGTH

FULL_NAME = {"minLength": 1, "maxLength": FULL_NAME_MAX, "pattern": FULL_NAME_PATTERN}
# the policy (lengths, no part of the e-mail address) is the domain's, refused as weak_password
NEW_PASSWORD = {"minLength": MIN_LENGTH, "maxLength": MAX_LENGTH}


class RegistrationSchema(Strict):
    full_name = Normalised(normalise_full_name, FULL_NAME, required=True)
    email = NormalisedEmail(required=True)
    password = fields.String(required=True, metadata=NEW_PASSWORD)
    national_id = Normalised(normalise_national_id, {"pattern": NATIONAL_ID_PATTERN}, required=True)
    mobile = Normalised(normalise_mobile, {"pattern": MOBILE_PATTERN}, required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class VerificationSchema(Strict):
    email = NormalisedEmail(required=True)
    code = Normalised(normalise_code, {"pattern": CODE_PATTERN}, required=True)


class ResendSchema(Strict):
    email = NormalisedEmail(required=True)


class CredentialsSchema(Strict):
    email = NormalisedEmail(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PasswordResetSchema(Strict):
    email = NormalisedEmail(required=True)
    code = Normalised(normalise_code, {"pattern": CODE_PATTERN}, required=True)
    password = fields.String(required=True, metadata=NEW_PASSWORD)


class PasswordChangeSchema(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    password = fields.String(required=True, metadata=NEW_PASSWORD)


class LanguageSchema(Strict):
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class AccountQuerySchema(Strict):
    """None given: no account (a look-up names what it looks for)."""

    id = fields.List(fields.String(validate=validate.Regexp(ACCOUNT_ID_PATTERN)), validate=validate.Length(max=100))
    national_id = Normalised(normalise_national_id, {"pattern": NATIONAL_ID_PATTERN})
    name = fields.String(validate=validate.Length(min=2, max=200))


class AccountCreatedSchema(Schema):
    id = fields.String()
    email = fields.String()
    status = fields.String()


class StatusSchema(Schema):
    status = fields.String()


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class MeSchema(Schema):
    id = fields.String()
    full_name = fields.String()
    email = fields.String()
    roles = fields.List(fields.String())
    language = fields.String()
    status = fields.String()
    mobile = fields.String(allow_none=True)
    national_id = fields.String(allow_none=True)


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
