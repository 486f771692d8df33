"""Passwords, sessions and language of the account holder, and the staff's look-up of accounts:
`/v1/password/forgot`, `/v1/password/reset`, `/v1/me/password`, `/v1/sessions/renew`, `PATCH /v1/me`,
`GET /v1/accounts`. Every bearer route here also checks that the session has not ended."""

import functools

from flask import current_app
from flask_smorest import Blueprint

from mumaris_shared.auth import STAFF_ROLES, current_principal, require_roles
from mumaris_shared.errors import Invalid

from ..credentials import CredentialService
from .schemas import (
    AccountQuerySchema,
    LanguageSchema,
    MeSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    ResendSchema,
    StatusSchema,
    TokenSchema,
)

CREDENTIALS_EXTENSION = "accounts.credentials"
BEARER = [{"bearer": []}]

credentials = Blueprint(
    "credentials", __name__, url_prefix="/v1", description="Passwords, sessions, language; staff look-up"
)


def _credentials() -> CredentialService:
    return current_app.extensions[CREDENTIALS_EXTENSION]


def current_session(view):
    """Only a caller whose session is current: a token issued before the account's last password
    reset or change is refused (401 `session_ended`)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        _credentials().ensure_current(current_principal())
        return view(*args, **kwargs)

    return wrapper


@credentials.post("/password/forgot")
@credentials.arguments(ResendSchema)
@credentials.response(202, StatusSchema)
def forgot_password(body):
    """E-mail a code to reset the password; the same answer whether or not the address has an account"""
    return _credentials().forgot_password(body["email"])


@credentials.post("/password/reset")
@credentials.arguments(PasswordResetSchema)
@credentials.response(200, StatusSchema)
def reset_password(body):
    """Set a new password with the e-mailed code; every session ends"""
    return _credentials().reset_password(body["email"], body["code"], body["password"])


@credentials.post("/me/password")
@credentials.doc(security=BEARER)
@require_roles()
@current_session
@credentials.arguments(PasswordChangeSchema)
@credentials.response(200, TokenSchema)
def change_password(body):
    """Change one's password (the current one is required); other sessions end, this one gets a new token"""
    return _credentials().change_password(current_principal(), body["current_password"], body["password"])


@credentials.post("/sessions/renew")
@credentials.doc(security=BEARER)
@require_roles()
@current_session
@credentials.response(200, TokenSchema)
def renew_session():
    """A fresh token for a valid one, up to the session's maximum age after logging in"""
    return _credentials().renew_session(current_principal())


@credentials.patch("/me")
@credentials.doc(security=BEARER)
@require_roles()
@current_session
@credentials.arguments(LanguageSchema)
@credentials.response(200, MeSchema)
def set_language(body):
    """Change the language the account is written to in (e-mails, the portal)"""
    return _credentials().set_language(current_principal(), body["language"])


@credentials.get("/accounts")
@credentials.doc(security=BEARER)
@require_roles(*STAFF_ROLES)
@credentials.arguments(AccountQuerySchema, location="query")
@credentials.response(200, MeSchema(many=True))
def find_accounts(query):
    """Staff: accounts by id (repeatable), national ID or part of the name, by name (at most 100)"""
    if not (query.get("id") or query.get("national_id") or query.get("name")):
        raise Invalid("name an id, a national ID or a name", {"name": ["give at least one of id, national_id, name"]})
    return _credentials().find_accounts(query.get("id") or [], query.get("national_id"), query.get("name"))
