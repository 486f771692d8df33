"""Fixtures for the billing integration tests: a migrated database (SQLite; PostgreSQL too for
tests marked `postgres`), the app on it with a clock the test moves, the sandbox's webhook calls
routed through the test client, the event handlers run as the consumer runs them, and helpers to
read what was stored and published."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from billing.adapters.orm import metadata, outbox_table
from billing.app import create_app
from billing.bootstrap import runtime as make_runtime
from billing.handlers import handlers
from billing.scheduler import Scheduler
from billing.service import BillingService
from billing.settings import Settings
from mumaris_shared.consumer import Consumer
from mumaris_shared.events import Event, isoformat
from mumaris_shared.migrations import upgrade
from mumaris_shared.runtime import Runtime
from mumaris_testing import Clock, TestTokens, assert_error, stored_rows

TOKENS = TestTokens()
WEBHOOK_URL = "http://billing.test/v1/webhooks/sandbox"
SECRET = "a webhook secret for tests"
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def bearer(sub: str, *roles: str) -> dict:
    return TOKENS.bearer(sub, *roles)


@dataclass
class Billing:
    client: FlaskClient
    runtime: Runtime
    clock: Clock
    service: BillingService
    consumer: Consumer
    bearer = staticmethod(bearer)
    reviewer = staticmethod(lambda: bearer("staff-reviewer", "reviewer"))
    secretary = staticmethod(lambda: bearer("staff-secretary", "secretary_general"))

    # --- events from applications -------------------------------------------------------------
    def deliver(self, event_type: str, **data) -> Event:
        event = Event(type=event_type, producer="applications", data=data)
        self.consumer.handle(event)
        return event

    def submit(
        self, number: str, owner: str, category: str = "specialist", at: datetime | None = None, **extra
    ) -> Event:
        return self.deliver(
            "applications.application_submitted",
            application_number=number,
            account_id=owner,
            category=category,
            specialty="cardiology",
            submitted_at=isoformat(at or self.clock()),
            **extra,
        )

    def withdraw(self, number: str, owner: str, review_started_at: datetime | None = None, **extra) -> Event:
        return self.deliver(
            "applications.application_withdrawn",
            application_number=number,
            account_id=owner,
            previous_status="awaiting_payment",
            withdrawn_at=isoformat(self.clock()),
            review_started_at=isoformat(review_started_at) if review_started_at else None,
            **extra,
        )

    def review_started(self, number: str, owner: str) -> Event:
        return self.deliver(
            "applications.application_review_started",
            application_number=number,
            account_id=owner,
            reviewer_id="staff-reviewer",
            started_at=isoformat(self.clock()),
        )

    def approve(self, number: str, owner: str) -> Event:
        return self.deliver(
            "applications.application_approved",
            application_number=number,
            account_id=owner,
            membership_number="M-1",
            decided_at=isoformat(self.clock()),
        )

    def reject(self, number: str, owner: str) -> Event:
        return self.deliver(
            "applications.application_rejected",
            application_number=number,
            account_id=owner,
            reason="incomplete qualifications",
            decided_at=isoformat(self.clock()),
        )

    # --- the API as its users call it -------------------------------------------------------------
    def invoices(self, number: str, owner: str) -> dict[str, dict]:
        response = self.client.get(f"/v1/invoices?application={number}", headers=bearer(owner, "applicant"))
        assert response.status_code == 200, response.json
        return {invoice["kind"]: invoice for invoice in response.json}

    def start_payment(self, invoice_id: str, owner: str, method: str = "mada", key: str | None = None):
        headers = {**bearer(owner, "applicant"), "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post(f"/v1/invoices/{invoice_id}/payments", json={"method": method}, headers=headers)

    def complete(self, payment_id: str, owner: str, outcome: str = "captured"):
        return self.client.post(
            f"/v1/sandbox/payments/{payment_id}/complete", json={"outcome": outcome}, headers=bearer(owner, "applicant")
        )

    def pay(self, invoice_id: str, owner: str, method: str = "mada") -> dict:
        started = self.start_payment(invoice_id, owner, method)
        assert started.status_code == 201, started.json
        completed = self.complete(started.json["id"], owner)
        assert completed.status_code == 200, completed.json
        return completed.json

    def pay_all(self, number: str, owner: str) -> dict[str, dict]:
        """Both fees paid: the request's invoices, by kind."""
        for invoice in self.invoices(number, owner).values():
            self.pay(invoice["id"], owner)
        return self.invoices(number, owner)

    def claim_refund(self, invoice_id: str, owner: str, reason: str = "I no longer need the classification"):
        return self.client.post(
            "/v1/refunds", json={"invoice": invoice_id, "reason": reason}, headers=bearer(owner, "applicant")
        )

    def refunds(self, number: str, owner: str) -> dict[str, dict]:
        """The request's refunds as its owner sees them, by fee kind."""
        response = self.client.get(f"/v1/refunds?application={number}", headers=bearer(owner, "applicant"))
        assert response.status_code == 200, response.json
        return {refund["kind"]: refund for refund in response.json}

    def decide_refund(self, refund_id: str, **body):
        return self.client.post(f"/v1/refunds/{refund_id}/decision", json=body, headers=self.reviewer())

    def tick(self) -> int:
        return Scheduler(self.service).tick()

    # --- what was stored and published -----------------------------------------------------------
    def events(self, event_type: str) -> list[dict]:
        with self.runtime.db.transaction() as session:
            bodies = session.execute(
                select(outbox_table.c.body)
                .where(outbox_table.c.event_type == event_type)
                .order_by(outbox_table.c.position)
            ).scalars()
            return [json.loads(body)["data"] for body in bodies]

    def rows(self, table_name: str) -> list:
        with self.runtime.db.transaction() as session:
            return session.execute(select(metadata.tables[table_name])).all()

    refused = staticmethod(assert_error)

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every stored row, to show that a refused request changed nothing."""
        return stored_rows(self.runtime.db, metadata)


def settings(**overrides) -> Settings:
    return Settings(**{"webhook_url": WEBHOOK_URL, "sandbox_webhook_secret": SECRET, **overrides})


def make_billing(url: str, clock=None, **setting_overrides) -> Billing:
    upgrade("billing", url)
    runtime = make_runtime(url)
    clock = clock or Clock(START)
    client_box: list[FlaskClient] = []

    def through_test_client(url: str, body: bytes, headers) -> tuple[int, bytes]:
        response = client_box[0].post(urlsplit(url).path, data=body, headers=dict(headers))
        return response.status_code, response.get_data()

    verifier = TOKENS.verifier
    app = create_app(
        runtime, verifier=verifier, clock=clock, settings=settings(**setting_overrides), transport=through_test_client
    )
    client_box.append(app.test_client())
    service = app.extensions["billing.service"]
    consumer = Consumer(
        "billing", runtime.db, runtime.inbox, handlers(service), url="amqp://unused", outbox=runtime.outbox
    )
    return Billing(client_box[0], runtime, clock, service, consumer)


@pytest.fixture
def billing(database_url) -> Billing:
    made = make_billing(database_url)
    yield made
    made.runtime.db.dispose()


@pytest.fixture
def billing_at():
    """`billing_at(url, clock=None, **settings)`: the service on a database of the test's choice, with
    settings of its own (and the real time, given `clock=utcnow`)."""
    made: list[Billing] = []

    def make(url: str, clock=None, **overrides) -> Billing:
        made.append(make_billing(url, clock, **overrides))
        return made[-1]

    yield make
    for instance in made:
        instance.runtime.db.dispose()
