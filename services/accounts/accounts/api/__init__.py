"""The HTTP API: `/v1/...` (docs/api.md) and the public keys at `/.well-known/jwks.json`."""

from flask import current_app
from flask_smorest import Blueprint

from mumaris_shared.auth import current_principal, require_roles

from ..service import AccountService
from .credentials import current_session
from .schemas import (
    AccountCreatedSchema,
    CredentialsSchema,
    JwksSchema,
    MeSchema,
    RegistrationSchema,
    ResendSchema,
    StatusSchema,
    TokenSchema,
    VerificationSchema,
)

SERVICE_EXTENSION = "accounts.service"

blueprint = Blueprint("accounts", __name__, url_prefix="/v1", description="Accounts, activation and sessions")
well_known = Blueprint("well_known", __name__, url_prefix="/.well-known", description="Token signing keys")


def _service() -> AccountService:
    return current_app.extensions[SERVICE_EXTENSION]


@blueprint.post("/accounts")
@blueprint.arguments(RegistrationSchema)
@blueprint.response(201, AccountCreatedSchema)
def register(body):
    """Create an account; a verification code is e-mailed to activate it"""
    return _service().register(**body)


@blueprint.post("/accounts/verify")
@blueprint.arguments(VerificationSchema)
@blueprint.response(200, StatusSchema)
def verify(body):
    """Activate an account with the e-mailed code"""
    return _service().verify(body["email"], body["code"])


@blueprint.post("/accounts/resend-code")
@blueprint.arguments(ResendSchema)
@blueprint.response(202, StatusSchema)
def resend_code(body):
    """Send a new verification code (the old one stops working)"""
    return _service().resend_code(body["email"])


@blueprint.post("/sessions")
@blueprint.arguments(CredentialsSchema)
@blueprint.response(200, TokenSchema)
def login(body):
    """Log in: a short-lived bearer token"""
    return _service().login(body["email"], body["password"])


@blueprint.get("/me")
@blueprint.response(200, MeSchema)
@blueprint.doc(security=[{"bearer": []}])
@require_roles()
@current_session
def me():
    """The caller's account"""
    return _service().me(current_principal().id)


@well_known.get("/jwks.json")
@well_known.response(200, JwksSchema)
def jwks():
    """The public keys tokens are signed with (JWKS)"""
    return _service().keys.jwks()
