"""The part of every service's Flask app that is the same everywhere: the API object (marshmallow
schemas, OpenAPI at /openapi.json), the one error shape, /healthz, /readyz and /metrics.

The OpenAPI documents say what the services really answer: every error is the one shape
(`ErrorSchema`), and every operation lists the statuses it can refuse with — those of its kind
(`ErrorResponses`: 401/403/503 where a token is needed, 404 where the path names something,
400/413/422 where a body, 422 where a query is read) and those of its own rules (`refusals`). There is
no catch-all "default" response: a status an operation does not list is a bug the fuzz test finds."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_smorest import Api
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from werkzeug.exceptions import HTTPException

from .auth import TokenVerifier
from .broker import BrokerNodes
from .broker_access import service_url
from .config import InsecureSetting, env
from .db import Database
from .errors import DomainError, error_response, refusal_response
from .outbox import Outbox

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "what went wrong, by name: e.g. email_taken"})
    message = fields.String(required=True, metadata={"description": "the same, in words for a person"})
    details = fields.Dict(
        required=True, metadata={"description": "facts about it: e.g. `fields` (each invalid field's problems)"}
    )


class ErrorSchema(Schema):
    """The one error shape of every service: {"error": {"code", "message", "details"}}."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class _Api(Api):  # type: ignore[misc]  # flask-smorest has no type hints
    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every status is listed: no catch-all


class ErrorResponses(BasePlugin):
    """Adds to every operation the refusals any operation of its kind can answer: 401, 403 and 503
    (the signing keys unreachable) where a bearer token is needed; 404 where the path names a
    thing; 400 (not JSON), 413 (too large) and 422 (invalid fields) where a body is read; 422
    where the query is."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            for status in _kind_refusals(path or "", operation):
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = HTTPStatus(status).name


class SchemaRules(BasePlugin):
    """Puts into a request schema's OpenAPI form the rules its fields alone cannot say (a reason
    required to reject, at least one change, ...), given as JSON Schema in its `Meta.openapi`."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        return getattr(getattr(schema, "Meta", None), "openapi", None)


def _kind_refusals(path: str, operation: dict[str, Any]) -> list[int]:
    statuses: list[int] = []
    if operation.get("security"):
        statuses += [401, 403, 503]
    if "{" in path:
        statuses.append(404)
    if "requestBody" in operation:
        statuses += [400, 413, 422]
    if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
        statuses.append(422)
    return statuses


def refusals(blueprint: ApiBlueprint, *statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Documents what a view's own rules can refuse with (409, 410, 429, 502 ...), besides the
    refusals of its kind (ErrorResponses)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for status in statuses:
            view = blueprint.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return decorate


def create_service_app(
    service: str,
    *,
    db: Database,
    verifier: TokenVerifier,
    blueprints: list[Blueprint],
    outbox: Outbox | None = None,
    description: str = "",
) -> Flask:
    app = Flask(service)
    app.config.update(
        API_TITLE=f"Mumaris {service}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        },
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["mumaris.db"] = db
    app.extensions["mumaris.verifier"] = verifier
    api = _Api(app, spec_kwargs={"extra_plugins": [ErrorResponses(), SchemaRules()]})
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    _register_error_handlers(app)
    app.register_blueprint(health_blueprint(db, service))
    install_metrics(app, service, outbox)
    return app


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _refused(exc: DomainError) -> Response:
        return refusal_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")
        code = _CODES.get(exc.code or 500, "error")
        message = data.get("message") or exc.description or exc.name
        details: dict[str, Any] = {}
        if messages is not None:
            if exc.code == 400 and isinstance(messages.get("json"), list):
                code, message = "malformed_json", "the body is not valid JSON"
            else:
                message, details = "some fields are missing or invalid", {"fields": _flatten(messages)}
        headers = dict(data.get("headers") or {})
        if exc.code == 405:
            headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ())
        return error_response(exc.code or 500, code, message, details, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side; nothing was changed")


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests by location ({"json": {"email": [...]}}); callers only care about the fields."""
    flat: dict[str, Any] = {}
    for location, problems in messages.items():
        if isinstance(problems, dict):
            flat.update(problems)
        else:
            flat[location] = problems
    return flat


# Proxies whose X-Real-IP is believed: the gateway, on this machine or in the platform's private
# network. A request from anywhere else is judged by its own address.
DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"


def client_address() -> str:
    """The address the request comes from: the gateway's `X-Real-IP` (which it sets, overwriting
    the client's) when the request came through a trusted proxy (TRUSTED_PROXIES), else the peer's."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    if forwarded and _is_address(forwarded) and _is_address(peer):
        trusted = env("TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES)
        if any(ipaddress.ip_address(peer) in ipaddress.ip_network(net.strip()) for net in trusted.split(",")):
            return forwarded
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def wsgi_app(create_app: Callable[[], Flask]) -> Flask:
    """The app gunicorn serves. A setting production refuses stops the server with its one line
    (gunicorn prints an AppImportError's message and halts, where another exit would only make it
    start the worker again)."""
    try:
        return create_app()
    except InsecureSetting as refusal:
        from gunicorn.errors import AppImportError

        raise AppImportError(str(refusal.code)) from None


def health_blueprint(db: Database, service: str | None = None) -> Blueprint:
    """/healthz (alive) and /readyz: the database reachable, and the broker as `service` connects
    to it (its own user), unless there is no service on the bus (the portal never talks to it)."""
    health = Blueprint("health", __name__)

    @health.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="alive")

    @health.get("/readyz")
    def readyz() -> Response:
        checks = {"database": _check(db.ping)}
        if service is not None:
            checks["broker"] = _check(lambda: _ping_broker(service))
        if all(result == "ok" for result in checks.values()):
            return jsonify(status="ready", checks=checks)
        return error_response(503, "not_ready", "a dependency is unreachable", {"checks": checks})

    return health


def _check(probe: Callable[[], None]) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"


def _ping_broker(service: str) -> None:
    """Ready while any of the broker's nodes answers: every process moves on to one that does."""
    BrokerNodes(service_url(service), socket_timeout=2).connect().close()


class _OutboxCollector:
    def __init__(self, service: str, outbox: Outbox):
        self.service, self.outbox = service, outbox

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "mumaris_outbox_pending", "Events committed but not yet confirmed by the broker", labels=["service"]
        )
        try:
            gauge.add_metric([self.service], self.outbox.pending_count())
        except Exception:
            return
        yield gauge


def install_metrics(app: Flask, service: str, outbox: Outbox | None = None) -> None:
    """Request counts and latencies by endpoint (and the outbox's backlog) at /metrics."""
    registry = CollectorRegistry()
    requests_total = Counter(
        "mumaris_http_requests_total",
        "HTTP requests answered",
        ["service", "method", "endpoint", "status"],
        registry=registry,
    )
    latency = Histogram(
        "mumaris_http_request_seconds", "HTTP request latency", ["service", "method", "endpoint"], registry=registry
    )
    if outbox is not None:
        registry.register(_OutboxCollector(service, outbox))

    @app.before_request
    def _start_timer() -> None:
        g.started_at = time.perf_counter()

    # Each (method, endpoint, status)'s two series, found once: `labels` takes a lock and builds its
    # key on every call. (As many as the routes' methods and statuses answered: a few hundred.)
    series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    @app.after_request
    def _observe(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        key = (request.method, endpoint, response.status_code)
        found = series.get(key)
        if found is None:
            found = series.setdefault(
                key,
                (
                    latency.labels(service, request.method, endpoint),
                    requests_total.labels(service, request.method, endpoint, str(response.status_code)),
                ),
            )
        found[0].observe(time.perf_counter() - g.get("started_at", time.perf_counter()))
        found[1].inc()
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
