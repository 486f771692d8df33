"""Refusals, and the one error shape every service answers with: {"error": {"code", "message", "details"}}.

A service's rules refuse by raising a `DomainError`: each service names its own refusals in
`<service>/domain/errors.py`, as subclasses of the kinds below, each with its `code`. Only the web
layer knows HTTP: `http_status` maps a kind to its status, in this one place, for every service."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import Response, jsonify


class DomainError(Exception):
    """A request the rules refuse. `code` is the machine-readable name clients act on."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, details: dict[str, Any] | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code is not None:
            self.code = code  # type: ignore[misc]  # one instance named more precisely than its class


class BadRequest(DomainError):
    code = "bad_request"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class Gone(DomainError):
    code = "gone"


class Invalid(DomainError):
    """Input the rules refuse; `fields` names the offending fields, as schema errors do."""

    code = "validation_failed"

    def __init__(
        self,
        message: str,
        fields: dict[str, list[str]] | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message, {**(details or {}), **({"fields": fields} if fields else {})}, code=code)


class TooManyRequests(DomainError):
    """Refused for now; `retry_after_seconds`, when known, says when to try again (also sent as
    Retry-After)."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after_seconds: int | None = None, *, code: str | None = None):
        details = {} if retry_after_seconds is None else {"retry_after_seconds": retry_after_seconds}
        super().__init__(message, details, code=code)
        self.retry_after_seconds = retry_after_seconds


class UpstreamFailed(DomainError):
    """Something this service depends on answered badly (a provider, a webhook)."""

    code = "upstream_failed"


class Unavailable(DomainError):
    """Something this service depends on cannot be reached right now."""

    code = "unavailable"


_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (BadRequest, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (Invalid, 422),
    (TooManyRequests, 429),
    (UpstreamFailed, 502),
    (Unavailable, 503),
)


def http_status(error: DomainError) -> int:
    """The HTTP status of a refusal, by its kind (500 for a DomainError of no kind: a bug)."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def http_headers(error: DomainError) -> dict[str, str]:
    if isinstance(error, TooManyRequests) and error.retry_after_seconds is not None:
        return {"Retry-After": str(error.retry_after_seconds)}
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    return {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refusal_response(error: DomainError) -> Response:
    return error_response(http_status(error), error.code, error.message, error.details, http_headers(error))
