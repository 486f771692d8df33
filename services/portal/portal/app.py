"""The portal's Flask app: pages (views/), the session store, languages, and the error pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from mumaris_shared.db import Database, server_secret
from mumaris_shared.events import utcnow
from mumaris_shared.web import health_blueprint, install_metrics

from . import i18n, labels, security
from .adapters.orm import secrets_table
from .adapters.services import ApiError, Services, ServiceUnavailable
from .adapters.sessions import SessionStore
from .bootstrap import SERVICE
from .bootstrap import database as default_database
from .bootstrap import services as default_services
from .messages import ERRORS, error_message
from .settings import Settings
from .views import BLUEPRINTS

PACKAGE = Path(__file__).resolve().parent
COOKIE_SECRET_NAME = "portal_cookie_signing"


def create_app(
    db: Database | None = None,
    services: Services | None = None,
    settings: Settings | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Flask:
    settings = settings or Settings.from_env()
    db = db or default_database()
    app = Flask(SERVICE, template_folder=str(PACKAGE / "templates"), static_folder=str(PACKAGE / "static"))
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # behind the nginx gateway
    app.config.update(
        SECRET_KEY=settings.secret_key or server_secret(db, secrets_table, COOKIE_SECRET_NAME, utcnow()),
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,  # a document (applications takes up to 10 MB) and its form
        PORTAL_RENEW_BEFORE=settings.renew_before,
        PORTAL_SANDBOX_PAYMENTS=settings.sandbox_payments,
        BABEL_TRANSLATION_DIRECTORIES=str(PACKAGE / "translations"),
    )
    app.extensions["portal.services"] = services or default_services(settings)
    app.extensions["portal.clock"] = clock
    i18n.init_app(app)
    security.init_app(app, SessionStore(db, clock))
    app.jinja_env.globals.update(label=labels.label, static_version=_static_version(), error_message=error_message)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(health_blueprint(db, broker=False))
    install_metrics(app, SERVICE)
    _error_pages(app)
    return app


def _static_version() -> str:
    """Changes whenever a static file does, so nginx may cache them for long (`?v=` in their URLs)."""
    digest = hashlib.sha256()
    for path in sorted((PACKAGE / "static").rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def _error_pages(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        if error.status == 401 and g.get("person") is not None:
            security.log_out()
            return security.to_login(str(ERRORS["session_ended" if error.code == "session_ended" else "token_expired"]))
        if isinstance(error, ServiceUnavailable) or error.status >= 500:
            app.logger.warning("a service failed: %s %s", error.code, error.message)
            return _page(503, _("The service is busy"), error_message(error))
        if error.status == 404:
            return _page(404, _("Not found"), _("There is nothing at this address, or it is not yours to see."))
        if error.status == 403:
            return _page(403, _("Not allowed"), _("Your role does not allow you to see this page."))
        return _page(error.status, _("This could not be done"), error_message(error))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code == 400 and error.description == "csrf_failed":
            return _page(400, _("The form has expired"), str(ERRORS["csrf_failed"]))
        titles = {
            403: (_("Not allowed"), _("Your role does not allow you to see this page.")),
            404: (_("Not found"), _("There is nothing at this address, or it is not yours to see.")),
            405: (_("Not allowed"), str(ERRORS["method_not_allowed"])),
            413: (_("Too large"), str(ERRORS["payload_too_large"])),
        }
        title, text = titles.get(error.code, (_("This could not be done"), str(ERRORS["bad_request"])))
        return _page(error.code or 500, title, text)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _page(500, _("Something went wrong"), str(ERRORS["internal_error"]))


def _page(status: int, title: str, text: str):
    return render_template("error.html", status=status, title=title, text=text), status
