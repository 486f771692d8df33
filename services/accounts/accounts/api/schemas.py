"""Request and response bodies. Unknown fields are refused; e-mail, name, national ID and mobile
come out normalised by the shared rules (mumaris_shared/identity.py)."""

from marshmallow import Schema, fields, validate

from mumaris_shared.contracts import LANGUAGES
from mumaris_shared.identity import normalise_full_name, normalise_mobile, normalise_national_id
from mumaris_shared.schemas import Normalised, NormalisedEmail, Strict

from ..domain.codes import normalise_code


class RegistrationSchema(Strict):
    full_name = Normalised(normalise_full_name, required=True)
    email = NormalisedEmail(required=True)
    password = fields.String(required=True)  # the policy is checked by the domain (weak_password)
    national_id = Normalised(normalise_national_id, required=True)
    mobile = Normalised(normalise_mobile, required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class VerificationSchema(Strict):
    email = NormalisedEmail(required=True)
    code = Normalised(normalise_code, required=True)


class ResendSchema(Strict):
    email = NormalisedEmail(required=True)


class CredentialsSchema(Strict):
    email = NormalisedEmail(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PasswordResetSchema(Strict):
    email = NormalisedEmail(required=True)
    code = Normalised(normalise_code, required=True)
    password = fields.String(required=True)  # the policy is checked by the domain (weak_password)


class PasswordChangeSchema(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    password = fields.String(required=True)


class LanguageSchema(Strict):
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class AccountQuerySchema(Strict):
    id = fields.List(fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=100))
    national_id = Normalised(normalise_national_id)
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
