"""Request and response bodies. Unknown fields are refused; e-mail, name, national ID and mobile
come out normalised by the domain's rules (domain/identity.py)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mumaris_shared.contracts import LANGUAGES

from ..domain.codes import normalise_code
from ..domain.identity import normalise_email, normalise_full_name, normalise_mobile, normalise_national_id


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Normalised(fields.String):
    """A string made into its stored form by a domain rule; the rule's ValueError is the field's error."""

    def __init__(self, normalise, **kwargs):
        super().__init__(**kwargs)
        self.normalise = normalise

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.normalise(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Email(fields.Email):
    """Normalised before the format check, so " Sara@Example.com " is accepted as sara@example.com."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return normalise_email(super()._deserialize(value, attr, data, **kwargs))


class RegistrationSchema(_Strict):
    full_name = Normalised(normalise_full_name, required=True)
    email = Email(required=True)
    password = fields.String(required=True)  # the policy is checked by the domain (weak_password)
    national_id = Normalised(normalise_national_id, required=True)
    mobile = Normalised(normalise_mobile, required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))


class VerificationSchema(_Strict):
    email = Email(required=True)
    code = Normalised(normalise_code, required=True)


class ResendSchema(_Strict):
    email = Email(required=True)


class CredentialsSchema(_Strict):
    email = Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


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


class JwksSchema(Schema):
    keys = fields.List(fields.Dict())
