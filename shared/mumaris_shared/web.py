"""The part of every service's Flask app that is the same everywhere: the API object (marshmallow
schemas, OpenAPI at /openapi.json), the one error shape, /healthz, /readyz and /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask_smorest import Api
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from werkzeug.exceptions import HTTPException

from .auth import TokenVerifier
from .broker import BrokerNodes
from .config import rabbitmq_url
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
    api = Api(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    _register_error_handlers(app)
    app.register_blueprint(health_blueprint(db))
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
        return error_response(exc.code or 500, code, message, details, dict(data.get("headers") or {}))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side; nothing was changed")


def _flatten(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests by location ({"json": {"email": [...]}}); callers only care about the fields."""
    flat: dict[str, Any] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def health_blueprint(db: Database, broker: bool = True) -> Blueprint:
    """/healthz (alive) and /readyz: the database reachable, and the broker unless `broker` is False
    (a process that never talks to it, such as the portal)."""
    health = Blueprint("health", __name__)

    @health.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="alive")

    @health.get("/readyz")
    def readyz() -> Response:
        checks = {"database": _check(db.ping)}
        if broker:
            checks["broker"] = _check(_ping_broker)
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


def _ping_broker() -> None:
    """Ready while any of the broker's nodes answers: every process moves on to one that does."""
    BrokerNodes(rabbitmq_url(), socket_timeout=2).connect().close()


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

    @app.after_request
    def _observe(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        latency.labels(service, request.method, endpoint).observe(
            time.perf_counter() - g.get("started_at", time.perf_counter())
        )
        requests_total.labels(service, request.method, endpoint, str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
