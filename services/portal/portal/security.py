"""Who is asking, and whether they may: the server-side session behind the cookie, CSRF on every
form, roles, and what happens when a session has expired.

The cookie (Flask's signed session, HttpOnly, SameSite=Lax, Secure over HTTPS) holds the session
id, the CSRF token and one-time messages; the access token stays in the session store. A session
whose token is close to expiring is renewed through accounts; one that has expired (or was ended
by a password reset or change) sends the person to /login with a message, and after logging in on
to the page they wanted."""

from __future__ import annotations

import functools
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from mumaris_shared.events import utcnow

from .adapters.services import ApiError
from .adapters.sessions import PortalSession, SessionStore

CSRF_FIELD = "csrf_token"
STORE = "portal.sessions"


class SecureOverHttps(SecureCookieSessionInterface):
    """The session cookie is Secure when the page came over HTTPS (X-Forwarded-Proto behind nginx)."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure


def store() -> SessionStore:
    return current_app.extensions[STORE]


def services():
    return current_app.extensions["portal.services"]


def person() -> PortalSession | None:
    return g.get("person")


def token() -> str:
    return g.person.access_token


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent, kept = request.form.get(CSRF_FIELD, ""), session.get(CSRF_FIELD, "")
    if not kept or not hmac.compare_digest(sent, kept):
        abort(400, description="csrf_failed")


def _load_person() -> None:
    """The session behind the cookie, renewed when its token is close to expiring. A cookie naming
    a session that has expired or ended is remembered in `g.session_expired`."""
    g.person = None
    session_id = session.get("sid")
    if not session_id:
        return
    found = store().get(session_id)
    if found is not None and found.expires_at - utcnow() < current_app.config["PORTAL_RENEW_BEFORE"]:
        found = _renewed(session_id, found)
    if found is None:
        session.pop("sid", None)
        g.session_expired = True
        return
    g.person = found


def _renewed(session_id: str, found: PortalSession) -> PortalSession | None:
    try:
        fresh = services().accounts.renew(found.access_token)
    except ApiError as error:
        if error.status == 401:
            store().end(session_id)
            return None
        return found  # accounts is busy: the token still holds for a while
    expires_at = utcnow() + timedelta(seconds=fresh["expires_in"])
    store().renew(session_id, fresh["access_token"], expires_at)
    return store().get(session_id)


def log_in(token_answer: dict, me: dict) -> None:
    """A new server-side session for the person `me`, with a fresh id and CSRF token."""
    old = session.pop("sid", None)
    if old:
        store().end(old)
    session["sid"] = store().create(
        account_id=me["id"],
        email=me["email"],
        full_name=me["full_name"],
        roles=me["roles"],
        access_token=token_answer["access_token"],
        expires_at=utcnow() + timedelta(seconds=token_answer["expires_in"]),
    )
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def log_out() -> None:
    session_id = session.pop("sid", None)
    if session_id:
        store().end(session_id)
    session.pop(CSRF_FIELD, None)


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def to_login(message: str | None = None):
    """Back to /login, then on to the page asked for (a form's page, for a form sent)."""
    wanted = request.full_path if request.method == "GET" else (request.referrer and urlsplit(request.referrer).path)
    if message:
        flash(message, "warning")
    wanted = safe_next((wanted or "").rstrip("?"), "")
    return redirect(url_for("auth.login", **({"next": wanted} if wanted else {})))


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if g.person is None:
            if g.get("session_expired"):
                return to_login(_("Your session has expired. Please log in again to continue."))
            return to_login(_("Please log in to continue."))
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str):
    """Logged in and holding one of `roles`; anyone else gets the 403 page."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not g.person.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app: Flask, sessions: SessionStore) -> None:
    app.extensions[STORE] = sessions
    app.session_interface = SecureOverHttps()
    app.config.update(
        SESSION_COOKIE_NAME="mumaris_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.before_request(_check_csrf)
    app.before_request(_load_person)
    app.jinja_env.globals.update(csrf_token=csrf_token, person=person)
