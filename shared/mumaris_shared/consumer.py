"""The consumer every service runs: one durable queue per service bound to the event types it
handles, manual acks after the handler's transaction committed, an inbox that makes repeats
harmless, a retry ladder with growing delays, and a parking queue for messages that keep failing.

Topology for service `s` (handlers registered for event types T1..Tn), every queue a quorum queue
(replicated on the cluster's nodes, when there are several):
  mumaris.events --T1..Tn--> s.events                 consumed here
  s.retry.1 .. s.retry.k (TTL d1..dk) --dead-letter via s.direct--> s.events
  s.dead                                              parked, with the error; see `parking`
  s.direct --<queue name>--> each of them             how the service reaches its own queues
Queues an earlier release declared otherwise are upgraded by `python -m mumaris_shared.queues`.

Only a service speaks for itself: an event whose type is not `<service>.…` of the service RabbitMQ
vouched for as its publisher (`user_id`, broker_access) is parked at once, never handled.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pika import BasicProperties
from pika.channel import Channel
from pika.exceptions import AMQPError, ChannelClosedByBroker
from pika.spec import Basic
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from .broker import BrokerNodes, connection_user, declare_exchange, expires_at_of, persistent
from .broker_access import PUBLISHER_HEADER, own_exchange, publishers, speaks_for, vouched_user
from .config import env, env_int, parse_duration
from .db import Database
from .events import EXCHANGE, Event, MalformedEvent, isoformat, utcnow
from .outbox import Outbox

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-mumaris-attempt"
ERROR_HEADER = "x-mumaris-error"


@dataclass
class HandlerContext:
    """What a handler gets: the session of the transaction its effects commit in (with the inbox
    row), the event, and `publish` to emit follow-up events through the service's outbox."""

    session: Session
    event: Event
    outbox: Outbox | None = None

    def publish(self, event_type: str, data: dict[str, Any]) -> Event:
        if self.outbox is None:
            raise RuntimeError("this service has no outbox to publish through")
        return self.outbox.publish(self.session, event_type, data, caused_by=self.event)


Handler = Callable[[HandlerContext], None]


def queue_names(service: str, retry_levels: int) -> tuple[str, list[str], str]:
    return f"{service}.events", [f"{service}.retry.{n}" for n in range(1, retry_levels + 1)], f"{service}.dead"


QUORUM = {"x-queue-type": "quorum"}
PRECONDITION_FAILED = 406  # RabbitMQ's answer to a queue declared again with other arguments


def retry_queue_arguments(delay: timedelta, events_queue: str, exchange: str) -> dict[str, Any]:
    """A retry queue holds each message for `delay`, then dead-letters it back to the events queue
    through the service's own `exchange` (a service may not write to the default exchange).
    At least once: the quorum queue keeps the message until the events queue confirmed it (the
    default, at most once, would drop it if the events queue could not take it then); that
    strategy needs `reject-publish` overflow (there is no length limit to overflow)."""
    return {
        **QUORUM,
        "x-message-ttl": int(delay.total_seconds() * 1000),
        "x-dead-letter-exchange": exchange,
        "x-dead-letter-routing-key": events_queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def queue_arguments(service: str, retry_delays: list[timedelta]) -> dict[str, dict[str, Any]]:
    """Every queue of the service's consumer, with the arguments it is declared with."""
    queue, retry_queues, dead_queue = queue_names(service, len(retry_delays))
    retries = zip(retry_queues, retry_delays, strict=True)
    exchange = own_exchange(service)
    return {
        queue: QUORUM,
        **{name: retry_queue_arguments(delay, queue, exchange) for name, delay in retries},
        dead_queue: QUORUM,
    }


def retry_delays_setting() -> list[timedelta]:
    return [parse_duration(part) for part in env("CONSUMER_RETRY_DELAYS", "PT1S,PT10S,PT1M").split(",")]


class Consumer:
    def __init__(
        self,
        service: str,
        db: Database,
        inbox: Table,
        handlers: Mapping[str, Handler],
        url: str,
        outbox: Outbox | None = None,
        retry_delays: list[timedelta] | None = None,
        prefetch: int | None = None,
        trusted: Mapping[str, str] | None = None,
    ):
        """`trusted`: broker user -> the service it is (default: each service's user, broker_access)."""
        self.service = service
        self.db = db
        self.inbox = inbox
        self.handlers = dict(handlers)
        self.url = url
        self.outbox = outbox
        self.retry_delays = retry_delays if retry_delays is not None else retry_delays_setting()
        self.prefetch = prefetch or env_int("CONSUMER_PREFETCH", 16)
        self.queue, self.retry_queues, self.dead_queue = queue_names(service, len(self.retry_delays))
        self.exchange = own_exchange(service)
        self.user = connection_user(url)
        self.trusted = dict(trusted) if trusted is not None else publishers()
        self.nodes = BrokerNodes(url, name=f"{service}-consumer")
        self.ready = threading.Event()

    # --- topology --------------------------------------------------------------------------------
    def declare(self, channel: Channel) -> None:
        declare_exchange(channel)
        channel.exchange_declare(self.exchange, exchange_type="direct", durable=True)
        for queue, arguments in queue_arguments(self.service, self.retry_delays).items():
            channel.queue_declare(queue, durable=True, arguments=arguments)
            channel.queue_bind(queue, self.exchange, routing_key=queue)
        for event_type in self.handlers:
            channel.queue_bind(self.queue, EXCHANGE, routing_key=event_type)

    # --- the loop --------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set, reconnecting whenever the broker goes away."""
        delay = 0.5
        while not stop.is_set():
            connection = None
            try:
                connection = self.nodes.connect()
                channel = connection.channel()
                channel.confirm_delivery()
                channel.basic_qos(prefetch_count=self.prefetch)
                self.declare(channel)
                channel.basic_consume(self.queue, self._on_message)
                self.ready.set()
                delay = 0.5
                node = self.nodes.current
                log.info("%s consumer listening on %s at %s:%s", self.service, self.queue, node.host, node.port)
                while not stop.is_set():
                    connection.process_data_events(time_limit=0.5)
            except AMQPError as exc:
                self.ready.clear()
                if isinstance(exc, ChannelClosedByBroker) and exc.reply_code == PRECONDITION_FAILED:
                    log.error(
                        "%s consumer: a queue exists with other arguments (%s); "
                        "run `python -m mumaris_shared.queues upgrade %s` once",
                        self.service,
                        exc.reply_text,
                        self.service,
                    )
                log.warning("%s consumer lost the broker (%r); reconnecting in %.1fs", self.service, exc, delay)
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
            finally:
                self.ready.clear()
                if connection is not None and connection.is_open:
                    try:
                        connection.close()
                    except AMQPError:
                        pass

    def _on_message(self, channel: Channel, method: Basic.Deliver, properties: BasicProperties, body: bytes) -> None:
        headers = properties.headers or {}
        publisher = vouched_user(properties, self.user)
        try:
            event = Event.from_json(body)
        except MalformedEvent as exc:
            self._park(channel, properties, body, publisher, f"malformed: {exc}", attempts=0)
        else:
            if not speaks_for(publisher, event.type, self.trusted):
                refusal = f"refused: {event.type} published by {publisher or 'an unnamed user'}, not by its service"
                self._park(channel, properties, body, publisher, refusal, attempts=0)
                channel.basic_ack(method.delivery_tag)
                return
            try:
                self.handle(event)
            except (OperationalError, InterfaceError) as exc:
                # The database is away, not the message at fault: put it back and wait, so an
                # outage delays work without spending its retries or parking it.
                log.warning("%s: database unavailable (%s); message requeued", self.service, exc)
                time.sleep(1.0)
                channel.basic_nack(method.delivery_tag, requeue=True)
                return
            except Exception as exc:  # the handler failed: its transaction rolled back
                attempt = int(headers.get(ATTEMPT_HEADER, 0)) + 1
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.warning("%s: %s %s failed (attempt %d): %s", self.service, event.type, event.id, attempt, error)
                if attempt <= len(self.retry_queues):
                    self._forward(
                        channel,
                        self.retry_queues[attempt - 1],
                        properties,
                        body,
                        {ATTEMPT_HEADER: attempt, ERROR_HEADER: error, PUBLISHER_HEADER: publisher or ""},
                    )
                else:
                    self._park(channel, properties, body, publisher, error, attempts=attempt)
        channel.basic_ack(method.delivery_tag)

    def handle(self, event: Event) -> bool:
        """Run the event's handler with the inbox row in one transaction. False if it was a
        repeat (already handled) or an event this service does not handle."""
        handler = self.handlers.get(event.type)
        if handler is None:
            return False
        with self.db.transaction() as session:
            if not self._first_time(session, event):
                log.info("%s: %s %s already handled; skipped", self.service, event.type, event.id)
                return False
            handler(HandlerContext(session, event, self.outbox))
        return True

    def _first_time(self, session: Session, event: Event) -> bool:
        if session.execute(select(self.inbox.c.event_id).where(self.inbox.c.event_id == event.id)).first():
            return False
        try:
            with session.begin_nested():
                session.execute(
                    self.inbox.insert().values(event_id=event.id, event_type=event.type, handled_at=utcnow())
                )
        except IntegrityError:  # another replica handled the same event concurrently
            return False
        return True

    def _forward(
        self, channel: Channel, queue: str, properties: BasicProperties, body: bytes, extra_headers: dict[str, Any]
    ) -> None:
        # Published with confirms before the original is acked: a crash in between repeats, never
        # drops. The copy is this service's (its user_id); the header keeps who published the original.
        # A copy of a secret expires with it; past it, there is nothing left worth keeping.
        expires_at = expires_at_of(properties)
        if expires_at is not None and expires_at <= utcnow():
            log.info("%s: message %s not kept: the secret it carries expired", self.service, properties.message_id)
            return
        headers = {**(properties.headers or {}), **extra_headers}
        channel.basic_publish(
            self.exchange,
            queue,
            body,
            properties=persistent(properties.message_id, properties.type, self.user, headers, expires_at),
            mandatory=True,
        )

    def _park(
        self,
        channel: Channel,
        properties: BasicProperties,
        body: bytes,
        publisher: str | None,
        error: str,
        attempts: int,
    ) -> None:
        log.error("%s: parking message %s: %s", self.service, properties.message_id, error)
        parked = {ERROR_HEADER: error[:2000], ATTEMPT_HEADER: attempts, "x-mumaris-parked-at": isoformat(utcnow())}
        self._forward(channel, self.dead_queue, properties, body, {**parked, PUBLISHER_HEADER: publisher or ""})
