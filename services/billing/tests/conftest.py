"""Fixtures for the billing integration tests: a migrated database (SQLite; PostgreSQL too for
tests marked `postgres`), the app on it with a clock the test moves, the sandbox's webhook calls
routed through the test client, the event handlers run as the consumer runs them, and helpers to
read what was stored and published; with Moyasar as the provider, the app talks to a fake Moyasar
(fake_moyasar.py) over HTTP."""

from __future__ import annotations

import json
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pika
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from billing.adapters.orm import metadata, outbox_table
from billing.app import create_app
from billing.bootstrap import runtime as make_runtime
from billing.handlers import handlers
from billing.scheduler import Scheduler
from billing.service import BillingService
from billing.settings import MoyasarSettings, Settings
from mumaris_shared.broker import connection_parameters
from mumaris_shared.broker_access import service_url
from mumaris_shared.consumer import Consumer
from mumaris_shared.events import Event, isoformat
from mumaris_shared.migrations import upgrade
from mumaris_shared.runtime import Runtime
from mumaris_testing import Clock, TestTokens, assert_error, publish_as_producer, stored_rows
from services.billing.tests.fake_moyasar import FakeMoyasar

TOKENS = TestTokens()
WEBHOOK_URL = "http://billing.test/v1/webhooks/sandbox"
SECRET = "a webhook secret for tests"
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def national_id(sub: str) -> str:
    """Each person of the tests has a national ID of their own, made from their account id."""
    return f"1{zlib.crc32(sub.encode()) % 10**9:09d}"


def bearer(sub: str, *roles: str, **claims) -> dict:
    return TOKENS.bearer(sub, *roles, **{"national_id": national_id(sub), **claims})


@dataclass
class Billing:
    client: FlaskClient
    runtime: Runtime
    clock: Clock
    service: BillingService
    consumer: Consumer
    webhook_answers: list[tuple[int, dict]]  # what billing's webhook answered the sandbox, in order
    bearer = staticmethod(bearer)
    national_id = staticmethod(national_id)
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

    def withdraw(
        self,
        number: str,
        owner: str,
        review_started_at: datetime | None = None,
        previous_status: str = "awaiting_payment",
        **extra,
    ) -> Event:
        return self.deliver(
            "applications.application_withdrawn",
            application_number=number,
            account_id=owner,
            previous_status=previous_status,
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
        """The payer plays the sandbox's bank (its notice is sent later: `deliver_notices`)."""
        return self.client.post(
            f"/v1/sandbox/payments/{payment_id}/complete", json={"outcome": outcome}, headers=bearer(owner, "applicant")
        )

    def deliver_notices(self) -> list[dict]:
        """The scheduler sends the sandbox's notices due: what the webhook answered to each."""
        sent = len(self.webhook_answers)
        self.service.deliver_sandbox_notices()
        return [answer for _status, answer in self.webhook_answers[sent:]]

    def settle(self, payment_id: str, owner: str, outcome: str = "captured") -> dict:
        """The payment completed in the sandbox and its notice delivered: the webhook's answer."""
        completed = self.complete(payment_id, owner, outcome)
        assert completed.status_code == 202, completed.json
        [answer] = self.deliver_notices()
        return answer

    def pay(self, invoice_id: str, owner: str, method: str = "mada") -> dict:
        started = self.start_payment(invoice_id, owner, method)
        assert started.status_code == 201, started.json
        return self.settle(started.json["id"], owner)

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


@pytest.fixture
def on_the_bus(rabbitmq_url):
    """`with on_the_bus(billing) as publish:` — see consumer_on_bus."""
    return lambda billing: consumer_on_bus(billing, rabbitmq_url)


@contextmanager
def consumer_on_bus(billing: Billing, rabbitmq_url: str) -> Iterator[Callable[[Event], None]]:
    """Billing's consumer running on the real broker as billing's own user, and `publish(event)` to
    put an event on the bus as its producer would; the consumer's queues are deleted afterwards."""
    consumer = billing.runtime.consumer(
        handlers(billing.service), url=service_url("billing", rabbitmq_url), retry_delays=[timedelta(milliseconds=100)]
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert consumer.ready.wait(30)
        yield lambda event: publish_as_producer(rabbitmq_url, event)
    finally:
        stop.set()
        thread.join(15)
        connection = pika.BlockingConnection(connection_parameters(rabbitmq_url))
        channel = connection.channel()
        for queue in [consumer.queue, *consumer.retry_queues, consumer.dead_queue]:
            channel.queue_delete(queue)
        connection.close()


def settings(**overrides) -> Settings:
    return Settings(**{"webhook_url": WEBHOOK_URL, "sandbox_webhook_secret": SECRET, **overrides})


MOYASAR_KEY, MOYASAR_TOKEN = "sk_test_a_key_for_tests", "a webhook secret token for tests"


def moyasar_settings(fake: FakeMoyasar) -> dict:
    """Billing's settings for Moyasar, pointed at the fake (short timeouts: a test waits for them)."""
    return {
        "payment_provider": "moyasar",
        "moyasar": MoyasarSettings(api_url=fake.api_url, secret_key=MOYASAR_KEY, webhook_secret=MOYASAR_TOKEN),
        "provider_timeout": timedelta(seconds=1),
    }


def make_billing(url: str, clock=None, **setting_overrides) -> Billing:
    upgrade("billing", url)
    runtime = make_runtime(url)
    clock = clock or Clock(START)
    client_box: list[FlaskClient] = []
    answers: list[tuple[int, dict]] = []

    def through_test_client(url: str, body: bytes, headers) -> tuple[int, bytes]:
        response = client_box[0].post(urlsplit(url).path, data=body, headers=dict(headers))
        answers.append((response.status_code, response.json))
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
    return Billing(client_box[0], runtime, clock, service, consumer, answers)


@pytest.fixture
def billing(database_url) -> Billing:
    made = make_billing(database_url)
    yield made
    made.runtime.db.dispose()


@pytest.fixture
def moyasar() -> FakeMoyasar:
    with FakeMoyasar(MOYASAR_KEY, MOYASAR_TOKEN) as fake:
        yield fake


@pytest.fixture
def billing_moyasar(tmp_path, moyasar) -> Billing:
    """Billing with the Moyasar provider, talking to the fake; the fake's webhook reaches it through
    the test client. On SQLite only: what the provider adds is the same on both backends, whose
    differences the sandbox's tests cover."""
    made = make_billing(f"sqlite:///{tmp_path / 'billing.db'}", **moyasar_settings(moyasar))
    moyasar.webhook_url = "/v1/webhooks/moyasar"
    moyasar.deliver = lambda path, body: made.client.post(path, data=body, content_type="application/json").status_code
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
