"""HTTP clients of the services' public APIs: the only way the portal learns or changes anything.
An error answer becomes `ApiError` with the platform's one error shape; a service that does not
answer becomes `ServiceUnavailable`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str = ""
    details: dict = field(default_factory=dict)

    @property
    def fields(self) -> dict:
        """Field name → the API's messages, for errors about the body's fields."""
        return self.details.get("fields") or {}


class ServiceUnavailable(ApiError):
    pass


class ServiceClient:
    def __init__(self, base_url: str, timeout: float = 15.0, http: requests.Session | None = None):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = http or requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.http.request(method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ServiceUnavailable(503, "service_unavailable", f"{self.base_url} did not answer: {exc}") from None
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
            except (ValueError, KeyError, TypeError):
                error = {"code": "service_unavailable" if response.status_code >= 500 else "error"}
            raise ApiError(
                response.status_code, error.get("code", "error"), error.get("message", ""), error.get("details") or {}
            )
        return response.json() if response.content else None


class Accounts(ServiceClient):
    def register(self, body: dict) -> dict:
        return self.call("POST", "/v1/accounts", json=body)

    def verify(self, email: str, code: str) -> dict:
        return self.call("POST", "/v1/accounts/verify", json={"email": email, "code": code})

    def resend_code(self, email: str) -> dict:
        return self.call("POST", "/v1/accounts/resend-code", json={"email": email})

    def login(self, email: str, password: str) -> dict:
        return self.call("POST", "/v1/sessions", json={"email": email, "password": password})

    def renew(self, token: str) -> dict:
        return self.call("POST", "/v1/sessions/renew", token)

    def me(self, token: str) -> dict:
        return self.call("GET", "/v1/me", token)

    def set_language(self, token: str, language: str) -> dict:
        return self.call("PATCH", "/v1/me", token, json={"language": language})

    def change_password(self, token: str, current_password: str, password: str) -> dict:
        return self.call(
            "POST", "/v1/me/password", token, json={"current_password": current_password, "password": password}
        )

    def forgot_password(self, email: str) -> dict:
        return self.call("POST", "/v1/password/forgot", json={"email": email})

    def reset_password(self, email: str, code: str, password: str) -> dict:
        return self.call("POST", "/v1/password/reset", json={"email": email, "code": code, "password": password})

    def find(self, token: str, *, ids=(), national_id: str | None = None, name: str | None = None) -> list[dict]:
        params = {"id": list(ids), "national_id": national_id, "name": name}
        return self.call("GET", "/v1/accounts", token, params={k: v for k, v in params.items() if v})


class Applications(ServiceClient):
    def mine(self, token: str) -> list[dict]:
        return self.call("GET", "/v1/applications", token)

    def create(self, token: str, body: dict) -> dict:
        return self.call("POST", "/v1/applications", token, json=body)

    def read(self, token: str, number: str) -> dict:
        return self.call("GET", f"/v1/applications/{number}", token)

    def act(self, token: str, number: str, action: str, body: dict | None = None) -> dict:
        """submit | withdraw | review | dataflow | decision (the last two with `body`)."""
        return self.call("POST", f"/v1/applications/{number}/{action}", token, json=body)

    def documents(self, token: str, number: str) -> list[dict]:
        return self.call("GET", f"/v1/applications/{number}/documents", token)

    def upload_document(self, token: str, number: str, kind: str, name: str, content: bytes, content_type: str) -> dict:
        files = {"file": (name, content, content_type)}
        return self.call("POST", f"/v1/applications/{number}/documents", token, data={"kind": kind}, files=files)

    def public_status(self, number: str) -> dict:
        return self.call("GET", f"/v1/status/{number}")

    def review_queue(self, token: str, accounts: list[str] | None = None) -> list[dict]:
        return self.call("GET", "/v1/review-queue", token, params={"account": accounts} if accounts else None)

    def membership(self, token: str, membership_number: str) -> dict:
        return self.call("GET", f"/v1/memberships/{membership_number}", token)

    def submit_update(self, token: str, membership_number: str, changes: dict) -> dict:
        return self.call("POST", f"/v1/memberships/{membership_number}/updates", token, json={"changes": changes})

    def update(self, token: str, update_id: str) -> dict:
        return self.call("GET", f"/v1/updates/{update_id}", token)

    def act_on_update(self, token: str, update_id: str, action: str, body: dict | None = None) -> dict:
        """review | decision (with `body`)."""
        return self.call("POST", f"/v1/updates/{update_id}/{action}", token, json=body)


class Billing(ServiceClient):
    def fee_schedule(self) -> list[dict]:
        return self.call("GET", "/v1/fee-schedule")

    def fee_accounts(self, token: str) -> list[dict]:
        return self.call("GET", "/v1/fee-accounts", token)

    def invoices(self, token: str, number: str) -> list[dict]:
        return self.call("GET", "/v1/invoices", token, params={"application": number})

    def pay(self, token: str, invoice_id: str, method: str, idempotency_key: str) -> dict:
        return self.call(
            "POST",
            f"/v1/invoices/{invoice_id}/payments",
            token,
            json={"method": method},
            headers={"Idempotency-Key": idempotency_key},
        )

    def payment(self, token: str, payment_id: str) -> dict:
        return self.call("GET", f"/v1/payments/{payment_id}", token)

    def complete_sandbox_payment(self, token: str, payment_id: str, outcome: str) -> dict:
        return self.call("POST", f"/v1/sandbox/payments/{payment_id}/complete", token, json={"outcome": outcome})

    def claim_exemption(self, token: str, number: str, kind: str, evidence_reference: str) -> dict:
        body = {"application": number, "kind": kind, "evidence_reference": evidence_reference}
        return self.call("POST", "/v1/exemptions", token, json=body)

    def exemptions(self, token: str, status: str | None = None) -> list[dict]:
        return self.call("GET", "/v1/exemptions", token, params={"status": status} if status else None)

    def decide_exemption(self, token: str, exemption_id: str, decision: str, reason: str | None) -> dict:
        body = {"decision": decision, "reason": reason}
        return self.call("POST", f"/v1/exemptions/{exemption_id}/decision", token, json=body)

    def grant_waiver(self, token: str, number: str, decision_number: str, kinds: list[str]) -> dict:
        body = {"application": number, "decision_number": decision_number, "kinds": kinds}
        return self.call("POST", "/v1/waivers", token, json=body)

    def refunds(self, token: str, number: str | None = None, status: str | None = None) -> list[dict]:
        params = {"application": number, "status": status}
        return self.call("GET", "/v1/refunds", token, params={k: v for k, v in params.items() if v})

    def refund_preview(self, token: str, number: str) -> dict:
        return self.call("GET", "/v1/refunds/preview", token, params={"application": number})

    def decide_refund(self, token: str, refund_id: str, body: dict) -> dict:
        return self.call("POST", f"/v1/refunds/{refund_id}/decision", token, json=body)


@dataclass
class Services:
    accounts: Accounts
    applications: Applications
    billing: Billing

    @classmethod
    def at(cls, accounts_url: str, applications_url: str, billing_url: str, timeout: float = 15.0) -> Services:
        return cls(
            Accounts(accounts_url, timeout), Applications(applications_url, timeout), Billing(billing_url, timeout)
        )
