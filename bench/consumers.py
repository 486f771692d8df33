"""Each service's consumer, with its inbox de-duplication, against a raw pika consume-and-ack of the
same messages in the same run.

    python -m bench.consumers [--events 5000]

Each consumer runs in this process on a PostgreSQL database of its own (its migrations run), on a
fresh virtual host, with the service's real handlers; N events of one representative type wait on
its queue when it starts, and it is timed until the last one is in its inbox:
  applications   billing.payment_deadline_expired: each request awaiting payment is cancelled
                 (locked, moved, put on its timeline, `application.cancelled` in the outbox); the
                 requests are made as bench/sweep.py makes them
  billing        applications.application_submitted: each request's fees assessed (a fee account,
                 two invoices with SADAD numbers, `billing.fees_assessed` in the outbox)
  notifications  applications.application_cancelled: each owner's e-mail rendered and queued
The baseline: the same number of messages of the same size on a quorum queue, consumed with the
same prefetch by a bare pika consumer that acknowledges each one and does nothing else.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pika
import sqlalchemy as sa

from mumaris_shared.broker import connection_parameters, connection_user, persistent
from mumaris_shared.events import EXCHANGE, Event, isoformat, utcnow

from .fresh import infrastructure
from .table import Figure, print_table

GOAL = 2000  # events a second, each service's consumer


@dataclass
class Case:
    service: str
    producer: str
    events: Callable[[int, dict[str, str]], list[Event]]  # given N and the settings (after any seeding)


def _deadlines(count: int, settings: dict[str, str]) -> list[Event]:
    from .sweep import seed

    seed(settings, count, services=("applications",))
    engine = sa.create_engine(settings["APPLICATIONS_DATABASE_URL"])
    with engine.connect() as connection:
        requests = connection.execute(sa.text("SELECT number, account_id FROM applications")).all()
    engine.dispose()
    return [
        Event(
            type="billing.payment_deadline_expired",
            producer="billing",
            data={
                "application_number": number,
                "account_id": account_id,
                "due_at": isoformat(utcnow()),
                "expired_at": isoformat(utcnow()),
            },
        )
        for number, account_id in requests
    ]


def _about_requests(event_type: str, count: int, prefix: str, **data: str) -> list[Event]:
    """`count` events of `event_type` about requests numbered `MR-<prefix>-n`, owned by account n."""
    return [
        Event(
            type=event_type,
            producer=event_type.partition(".")[0],
            data={"application_number": f"MR-{prefix}-{n:08d}", "account_id": str(uuid.UUID(int=n + 1)), **data},
        )
        for n in range(count)
    ]


def _submissions(count: int, settings: dict[str, str]) -> list[Event]:
    data = {"kind": "registration", "category": "general_practitioner", "specialty": "Family Medicine"}
    return _about_requests(
        "applications.application_submitted", count, "SUBM", submitted_at=isoformat(utcnow()), **data
    )


def _cancellations(count: int, settings: dict[str, str]) -> list[Event]:
    from notifications.adapters.deliveries import remember_recipient
    from notifications.bootstrap import runtime

    notifications = runtime(settings["NOTIFICATIONS_DATABASE_URL"])
    with notifications.db.transaction() as session:
        for n in range(count):
            account_id = str(uuid.UUID(int=n + 1))
            remember_recipient(session, account_id, f"applicant{n}@bench.example", f"Applicant {n}", "en", utcnow())
    notifications.db.dispose()
    reason = "payment_deadline_expired"
    return _about_requests(
        "applications.application_cancelled", count, "CANC", reason=reason, cancelled_at=isoformat(utcnow())
    )


CASES = (
    Case("applications", "billing", _deadlines),
    Case("billing", "applications", _submissions),
    Case("notifications", "applications", _cancellations),
)


def _consumer(service: str, settings: dict[str, str], trusted: dict[str, str]):
    if service == "billing":
        from billing.bootstrap import runtime
        from billing.handlers import handlers
        from billing.service import BillingService

        billing = runtime(settings["BILLING_DATABASE_URL"])
        return billing, billing.consumer(
            handlers(BillingService(billing)), url=settings["RABBITMQ_URL"], trusted=trusted
        )
    if service == "applications":
        from applications.bootstrap import runtime
        from applications.handlers import HANDLERS
    else:
        from notifications.bootstrap import runtime
        from notifications.handlers import HANDLERS
    service_runtime = runtime(settings[f"{service.upper()}_DATABASE_URL"])
    return service_runtime, service_runtime.consumer(HANDLERS, url=settings["RABBITMQ_URL"], trusted=trusted)


def _publish(channel, events: list[Event], user: str, routing: Callable[[Event], tuple[str, str]]) -> None:
    for event in events:
        exchange, key = routing(event)
        channel.basic_publish(
            exchange, key, event.to_json().encode(), properties=persistent(event.id, event.type, user)
        )


def ours(case: Case, count: int) -> float:
    """Events a second through the service's consumer, N waiting when it starts."""
    with infrastructure([case.service], migrate=[case.service]) as settings:
        os.environ.update(settings)
        events = case.events(count, settings)
        url = settings["RABBITMQ_URL"]
        runtime, consumer = _consumer(case.service, settings, {connection_user(url): case.producer})
        connection = pika.BlockingConnection(connection_parameters(url))
        channel = connection.channel()
        channel.confirm_delivery()
        consumer.declare(channel)
        _publish(channel, events, connection_user(url), lambda event: (EXCHANGE, event.type))
        connection.close()
        inbox = sa.select(sa.func.count()).select_from(runtime.inbox)
        stop = threading.Event()
        worker = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        started = time.monotonic()
        worker.start()
        while True:
            with runtime.db.engine.connect() as db:
                if db.execute(inbox).scalar_one() >= count:
                    break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        stop.set()
        worker.join(15)
        runtime.db.dispose()
    return count / elapsed


def raw(count: int, prefetch: int, body_size: int) -> float:
    """Events a second through a bare pika consumer acknowledging each message, N waiting."""
    with infrastructure([]) as settings:
        url = settings["RABBITMQ_URL"]
        connection = pika.BlockingConnection(connection_parameters(url))
        channel = connection.channel()
        channel.confirm_delivery()
        queue = "bench.raw"
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
        body = b"x" * body_size
        for n in range(count):
            channel.basic_publish("", queue, body, properties=persistent(str(n), "bench.raw", connection_user(url)))
        received = 0

        def on_message(channel, method, properties, body) -> None:
            nonlocal received
            channel.basic_ack(method.delivery_tag)
            received += 1
            if received == count:
                channel.stop_consuming()

        channel.basic_qos(prefetch_count=prefetch)
        channel.basic_consume(queue, on_message)
        started = time.monotonic()
        channel.start_consuming()
        elapsed = time.monotonic() - started
        connection.close()
    return count / elapsed


def figures(events: int = 5000) -> list[Figure]:
    from mumaris_shared.config import env_int

    baseline = raw(events, env_int("CONSUMER_PREFETCH", 500), body_size=400)
    rates = {case.service: ours(case, events) for case in CASES}
    return [
        Figure(
            f"{service} consumer, {events:,} events (inbox de-duplicated)",
            rate,
            "events/s",
            baseline,
            f"≥ {GOAL:,}/s",
            rate >= GOAL,
        )
        for service, rate in rates.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.consumers", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args(argv)
    print_table(figures(args.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
