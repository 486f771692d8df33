"""The one error shape every service answers with: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from flask import jsonify


class ApiError(Exception):
    """Raised anywhere in a request to answer with `status` and the error shape."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
