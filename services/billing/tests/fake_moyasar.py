"""A stand-in for Moyasar, for tests only: a small HTTP server on a free 127.0.0.1 port that speaks
the request and answer shapes of Moyasar's API documentation (kept as JSON fixtures in
fixtures/moyasar/) — invoices (create, list by metadata, fetch), payments (fetch, refund), its
errors — and plays the payer on an invoice's hosted page and the webhook set up in Moyasar's
dashboard (`{id, type, created_at, secret_token, account_name, live, data: <payment>}`).

Faults a test can ask for, per route: answer 5xx (nothing done), lose the answer (done, then
5xx, as a timeout after the provider acted looks), or answer after the client's timeout."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "moyasar"
WEBHOOK_TIMEOUT = 10


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sar(halalas: int) -> str:
    return f"{halalas / 100:.2f} SAR"


class MoyasarError(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body


def _invalid(field: str, problem: str) -> MoyasarError:
    body = fixture("error_validation")
    body["errors"] = {field: [problem]}
    return MoyasarError(400, body)


# (url, body bytes) -> HTTP status: how the fake reaches billing's webhook
Deliver = Callable[[str, bytes], int]


def http_deliver(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class FakeMoyasar:
    def __init__(self, secret_key: str, webhook_secret: str, deliver: Deliver = http_deliver):
        self.secret_key, self.webhook_secret, self.deliver = secret_key, webhook_secret, deliver
        self.webhook_url: str | None = None  # the webhook endpoint set up in the "dashboard"
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.calls: list[tuple[str, str, dict | None]] = []  # (method, path, JSON body) as received
        self.webhooks: list[tuple[dict, int]] = []  # (notice, billing's answer status)
        self._faults: list[tuple[str, str]] = []  # (route pattern, how)
        self.slow_seconds = 2.0  # how late a `slow` fault answers
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-moyasar")
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.api_url = self.url + "/v1"

    def __enter__(self) -> FakeMoyasar:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a test asks of it ------------------------------------------------------------------
    def fail(self, route: str, how: str = "unavailable", times: int = 1) -> None:
        """The next `times` calls matching `route` (e.g. "POST /v1/invoices") fail: `unavailable`
        (503, nothing done), `lose_answer` (done, then 503), or `slow` (done, answered late)."""
        self._faults.extend([(route, how)] * times)

    def calls_to(self, route: str) -> list[dict | None]:
        method, _, path = route.partition(" ")
        return [body for m, p, body in self.calls if m == method and re.fullmatch(path, p)]

    def invoice_for(self, payment_id: str) -> dict:
        [invoice] = [i for i in self.invoices.values() if (i["metadata"] or {}).get("mumaris_payment_id") == payment_id]
        return invoice

    def pay(self, invoice_id: str, outcome: str = "paid", company: str = "mada") -> dict:
        """The payer on the invoice's hosted page: a payment made (`paid`) or declined (`failed`),
        and Moyasar's webhook sent for it. The payment."""
        with self._lock:
            invoice = self.invoices[invoice_id]
            payment = fixture("payment")
            payment.update(
                id=str(uuid.uuid4()),
                status=outcome,
                amount=invoice["amount"],
                amount_format=invoice["amount_format"],
                captured=invoice["amount"] if outcome == "paid" else 0,
                captured_format=invoice["amount_format"] if outcome == "paid" else _sar(0),
                captured_at=_now() if outcome == "paid" else None,
                description=invoice["description"],
                invoice_id=invoice_id,
                created_at=_now(),
                updated_at=_now(),
            )
            payment["source"].update(company=company, message="APPROVED" if outcome == "paid" else "DECLINED")
            self.payments[payment["id"]] = payment
            if outcome == "paid":
                invoice.update(status="paid", payment_id=payment["id"], paid_at=_now(), updated_at=_now())
        self.notify("payment_paid" if outcome == "paid" else "payment_failed", payment)
        return payment

    def notify(self, event_type: str, payment: dict, secret_token: str | None = None) -> int:
        """Moyasar's webhook: the notice posted to the endpoint set up; billing's answer status."""
        notice = fixture("webhook_payment_paid")
        notice.update(
            id=str(uuid.uuid4()),
            type=event_type,
            created_at=_now(),
            secret_token=self.webhook_secret if secret_token is None else secret_token,
            data=copy.deepcopy(payment),
        )
        status = self.deliver(self.webhook_url, json.dumps(notice).encode())
        self.webhooks.append((notice, status))
        return status

    # --- the API ---------------------------------------------------------------------------------
    def _answer(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, dict]:
        if (match := re.fullmatch(r"/v1/invoices", path)) and method == "POST":
            return 201, self._create_invoice(body or {})
        if match and method == "GET":
            return 200, self._list_invoices(query)
        if (match := re.fullmatch(r"/v1/invoices/([\w-]+)", path)) and method == "GET":
            return 200, self._found(self.invoices, match[1])
        if (match := re.fullmatch(r"/v1/payments/([\w-]+)", path)) and method == "GET":
            return 200, self._found(self.payments, match[1])
        if (match := re.fullmatch(r"/v1/payments/([\w-]+)/refund", path)) and method == "POST":
            return 200, self._refund(match[1], body or {})
        raise MoyasarError(404, {"type": "invalid_request_error", "message": "Object not found", "errors": None})

    def _create_invoice(self, body: dict) -> dict:
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise _invalid("amount", "must be an integer")
        if amount < 100:
            raise _invalid("amount", "must be greater than or equal to 100")
        if not isinstance(body.get("description"), str) or not body["description"]:
            raise _invalid("description", "can't be blank")
        if body.get("currency", "SAR") != "SAR":
            raise _invalid("currency", "is not supported")
        metadata = body.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and all(isinstance(v, str) and len(v) <= 500 for v in metadata.values())
        ):
            raise _invalid("metadata", "values must be strings of at most 500 characters")
        invoice = fixture("invoice")
        invoice_id = str(uuid.uuid4())
        invoice.update(
            id=invoice_id,
            amount=amount,
            currency="SAR",
            description=body["description"],
            amount_format=_sar(amount),
            url=f"{self.url}/invoices/{invoice_id}?lang=en",
            callback_url=body.get("callback_url"),
            success_url=body.get("success_url"),
            back_url=body.get("back_url"),
            expired_at=body.get("expired_at"),
            created_at=_now(),
            updated_at=_now(),
            metadata=metadata,
        )
        self.invoices[invoice_id] = invoice
        return invoice

    def _list_invoices(self, query: dict) -> dict:
        wanted = {k[len("metadata[") : -1]: v for k, v in query.items() if k.startswith("metadata[")}
        found = [
            invoice
            for invoice in self.invoices.values()
            if all((invoice["metadata"] or {}).get(key) == value for key, value in wanted.items())
        ]
        answer = fixture("invoice_list")
        answer["invoices"], answer["meta"]["total_count"] = found, len(found)
        return answer

    def _refund(self, payment_id: str, body: dict) -> dict:
        payment = self._found(self.payments, payment_id)
        amount = body.get("amount", payment["amount"] - payment["refunded"])
        if not isinstance(amount, int) or amount <= 0:
            raise _invalid("amount", "must be a positive integer")
        if payment["status"] not in ("paid", "captured", "refunded"):
            raise _invalid("status", f"a {payment['status']} payment cannot be refunded")
        if payment["refunded"] + amount > payment["amount"]:
            raise _invalid("amount", "exceeds the amount left to refund")
        payment.update(
            status="refunded",
            refunded=payment["refunded"] + amount,
            refunded_format=_sar(payment["refunded"] + amount),
            refunded_at=_now(),
            updated_at=_now(),
        )
        return payment

    @staticmethod
    def _found(table: dict, key: str) -> dict:
        if key not in table:
            raise MoyasarError(404, {"type": "invalid_request_error", "message": "Object not found", "errors": None})
        return table[key]

    def _authorised(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
        return header == expected

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                fake.calls.append((method, parts.path, body))
                fault = fake._fault(f"{method} {parts.path}")
                if fault == "unavailable":
                    return self._send(503, {"type": "api_error", "message": "Service Unavailable", "errors": None})
                if not fake._authorised(self.headers.get("Authorization")):
                    return self._send(401, fixture("error_authentication"))
                try:
                    with fake._lock:
                        status, answer = fake._answer(method, parts.path, dict(parse_qsl(parts.query)), body)
                except MoyasarError as error:
                    status, answer = error.status, error.body
                if fault == "lose_answer":
                    return self._send(503, {"type": "api_error", "message": "Service Unavailable", "errors": None})
                if fault == "slow":
                    time.sleep(float(fake.slow_seconds))
                self._send(status, answer)

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler

    def _fault(self, route: str) -> str | None:
        with self._lock:
            for index, (pattern, how) in enumerate(self._faults):
                method, _, path = pattern.partition(" ")
                if route.startswith(method + " ") and re.fullmatch(path, route.partition(" ")[2]):
                    del self._faults[index]
                    return how
        return None
