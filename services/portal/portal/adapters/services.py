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


# The kind of document a CPD activity's certificate is (applications' document kinds).
CPD_CERTIFICATE = "cpd_certificate"


@dataclass(frozen=True)
class Upload:
    """A file a person chose in a form, passed on to an API as it came (the API judges it)."""

    name: str
    content: bytes
    content_type: str
    chosen: bool = True

    @classmethod
    def of(cls, storage) -> Upload:
        """From a form's file field; when no file was chosen, an empty one (the API says what is missing)."""
        if storage is None or not storage.filename:
            return cls("document", b"", "application/octet-stream", chosen=False)
        return cls(storage.filename, storage.read(), storage.mimetype or "application/octet-stream")

    @property
    def files(self) -> dict:
        return {"file": (self.name, self.content, self.content_type)}


class ServiceClient:
    def __init__(self, base_url: str, timeout: float = 15.0, http: requests.Session | None = None):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = http or requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs) -> Any:
        response = self.send(method, path, token, **kwargs)
        return response.json() if response.content else None

    def send(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        """The service's answer as it came (`stream=True`: its body not read yet); an error as ApiError."""
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
            finally:
                response.close()
            raise ApiError(
                response.status_code, error.get("code", "error"), error.get("message", ""), error.get("details") or {}
            )
        return response


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
        """submit | withdraw | review | dataflow | classification | return | decision (the last four
        with `body`)."""
        return self.call("POST", f"/v1/applications/{number}/{action}", token, json=body)

    def edit(self, token: str, number: str, changes: dict) -> dict:
        """A draft's or a returned request's fields."""
        return self.call("PATCH", f"/v1/applications/{number}", token, json=changes)

    def documents(self, token: str, number: str) -> list[dict]:
        return self.call("GET", f"/v1/applications/{number}/documents", token)

    def upload_document(self, token: str, number: str, kind: str, upload: Upload) -> dict:
        return self.call("POST", f"/v1/applications/{number}/documents", token, data={"kind": kind}, files=upload.files)

    def delete_document(self, token: str, document_id: str) -> None:
        self.call("DELETE", f"/v1/documents/{document_id}", token)

    def public_status(self, number: str) -> dict:
        return self.call("GET", f"/v1/status/{number}")

    def review_queue(self, token: str, accounts: list[str] | None = None) -> list[dict]:
        return self.call("GET", "/v1/review-queue", token, params={"account": accounts} if accounts else None)

    def membership(self, token: str, membership_number: str) -> dict:
        """The licence (`licence_status`, `valid_until`, CPD hours) and the membership's data."""
        return self.call("GET", f"/v1/memberships/{membership_number}", token)

    def cpd_activities(self, token: str, membership_number: str) -> list[dict]:
        return self.call("GET", f"/v1/memberships/{membership_number}/cpd", token)

    def record_cpd(self, token: str, membership_number: str, body: dict) -> dict:
        return self.call("POST", f"/v1/memberships/{membership_number}/cpd", token, json=body)

    def cpd_documents(self, token: str, membership_number: str, activity_id: str) -> list[dict]:
        return self.call("GET", f"/v1/memberships/{membership_number}/cpd/{activity_id}/documents", token)

    def upload_cpd_certificate(self, token: str, membership_number: str, activity_id: str, upload: Upload) -> dict:
        path = f"/v1/memberships/{membership_number}/cpd/{activity_id}/documents"
        return self.call("POST", path, token, data={"kind": CPD_CERTIFICATE}, files=upload.files)

    def cpd_queue(self, token: str) -> list[dict]:
        return self.call("GET", "/v1/cpd-queue", token)

    def decide_cpd(self, token: str, activity_id: str, body: dict) -> dict:
        return self.call("POST", f"/v1/cpd/{activity_id}/decision", token, json=body)

    def open_renewal(self, token: str, membership_number: str) -> dict:
        return self.call("POST", f"/v1/memberships/{membership_number}/renewals", token)

    def card(self, token: str, membership_number: str) -> requests.Response:
        """The registration card (a PDF), its body still to be read: the portal streams it on."""
        return self.send("GET", f"/v1/memberships/{membership_number}/card", token, stream=True)

    def register_entry(self, membership_number: str) -> dict:
        return self.call("GET", f"/v1/register/{membership_number}")

    def register_search(self, name: str, specialty: str, page: int) -> dict:
        return self.call("GET", "/v1/register", params={"name": name, "specialty": specialty, "page": page})

    def submit_update(self, token: str, membership_number: str, changes: dict) -> dict:
        return self.call("POST", f"/v1/memberships/{membership_number}/updates", token, json={"changes": changes})

    def update(self, token: str, update_id: str) -> dict:
        return self.call("GET", f"/v1/updates/{update_id}", token)

    def act_on_update(self, token: str, update_id: str, action: str, body: dict | None = None) -> dict:
        """review | decision (with `body`)."""
        return self.call("POST", f"/v1/updates/{update_id}/{action}", token, json=body)


class Billing(ServiceClient):
    def fee_schedule(self, kind: str = "registration") -> list[dict]:
        """The two fees of a request of `kind` (registration | renewal), by category."""
        return self.call("GET", "/v1/fee-schedule", params={"kind": kind})

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
