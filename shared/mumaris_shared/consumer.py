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

Deliveries are handled in batches (whatever has arrived, up to CONSUMER_BATCH): the batch's inbox
rows in one statement, every handler in one transaction, one acknowledgement for all. A batch that
fails (a handler raised, the database went away, a deadlock between replicas) commits nothing and
is handled again one message at a time, each in its own transaction as if it had come alone: a
failing message takes the retry ladder by itself, and nothing of the others is lost or doubled.

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
from itertools import groupby
from typing import Any

from pika import BasicProperties
from pika.channel import Channel
from pika.exceptions import AMQPError, ChannelClosedByBroker
from pika.spec import Basic
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from .broker import BrokerNodes, connection_user, declare_exchange, expires_at_of, persistent
from .broker_access import PUBLISHER_HEADER, own_exchange, publishers, speaks_for, vouched_user
from .config import env, env_int, parse_duration
from .db import Database, rows_of_arrays
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
ManyHandler = Callable[[list[HandlerContext]], None]


def handles_many(many: ManyHandler) -> Callable[[Handler], Handler]:
    """Gives a handler its set-based twin, which the consumer calls with every event of the type
    that came in a row in a batch (in one transaction: fewer statements for the same effects)."""

    def give(handler: Handler) -> Handler:
        handler.many = many  # type: ignore[attr-defined]
        return handler

    return give


def publish_each(published: list[tuple[HandlerContext, str, dict[str, Any]]]) -> None:
    """What several handlers publish, each event caused by its context's, in one statement."""
    if published:
        outbox = published[0][0].outbox
        if outbox is None:
            raise RuntimeError("this service has no outbox to publish through")
        events = [outbox.event(event_type, data, caused_by=ctx.event) for ctx, event_type, data in published]
        outbox.add_many(published[0][0].session, events)


@dataclass
class Delivery:
    """A message as the broker delivered it, waiting for its batch."""

    tag: int
    properties: BasicProperties
    body: bytes


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
        batch: int | None = None,
    ):
        """`trusted`: broker user -> the service it is (default: each service's user, broker_access).
        `prefetch` (CONSUMER_PREFETCH, 500): messages the broker hands over unacknowledged; `batch`
        (CONSUMER_BATCH, 250): the most handled in one transaction. A prefetch above the batch
        keeps the next batch arriving while one is handled."""
        self.service = service
        self.db = db
        self.inbox = inbox
        self.handlers = dict(handlers)
        self.url = url
        self.outbox = outbox
        self.retry_delays = retry_delays if retry_delays is not None else retry_delays_setting()
        self.prefetch = prefetch or env_int("CONSUMER_PREFETCH", 500)
        self.batch = batch or env_int("CONSUMER_BATCH", 250)
        self._received: list[Delivery] = []
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
                self._received.clear()  # unacknowledged on a lost connection: the broker delivers them again
                channel.basic_consume(self.queue, self._on_message)
                self.ready.set()
                delay = 0.5
                node = self.nodes.current
                log.info("%s consumer listening on %s at %s:%s", self.service, self.queue, node.host, node.port)
                while not stop.is_set():
                    connection.process_data_events(time_limit=0.5)  # returns once something arrived
                    while self._received:
                        batch, self._received = self._received[: self.batch], self._received[self.batch :]
                        self._handle_deliveries(channel, batch)
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
        self._received.append(Delivery(method.delivery_tag, properties, body))

    def _handle_deliveries(self, channel: Channel, deliveries: list[Delivery]) -> None:
        """Handle a batch and settle every message of it: acknowledged once handled (or skipped as
        a repeat), forwarded to a retry queue or parked first when its handler failed, requeued
        when the database is away."""
        accepted: list[tuple[Delivery, Event, str | None]] = []
        for delivery in deliveries:
            publisher = vouched_user(delivery.properties, self.user)
            try:
                event = Event.from_json(delivery.body)
            except MalformedEvent as exc:
                self._park(channel, delivery, publisher, f"malformed: {exc}", attempts=0)
                channel.basic_ack(delivery.tag)
                continue
            if not speaks_for(publisher, event.type, self.trusted):
                refusal = f"refused: {event.type} published by {publisher or 'an unnamed user'}, not by its service"
                self._park(channel, delivery, publisher, refusal, attempts=0)
                channel.basic_ack(delivery.tag)
                continue
            accepted.append((delivery, event, publisher))
        if not accepted:
            return
        if len(accepted) == 1:
            self._one_by_one(channel, accepted)
            return
        try:
            self.handle_batch([event for _, event, _ in accepted])
        except Exception as exc:  # nothing of the batch committed: each message again, alone
            log.info("%s: a batch of %d failed (%r); handled one by one", self.service, len(accepted), exc)
            self._one_by_one(channel, accepted)
            return
        channel.basic_ack(accepted[-1][0].tag, multiple=True)

    def _one_by_one(self, channel: Channel, accepted: list[tuple[Delivery, Event, str | None]]) -> None:
        for position, (delivery, event, publisher) in enumerate(accepted):
            try:
                self.handle_batch([event])
            except (OperationalError, InterfaceError) as exc:
                # The database is away, not the message at fault: put it back (with the rest of the
                # batch) and wait, so an outage delays work without spending retries or parking.
                log.warning("%s: database unavailable (%s); %d message(s) requeued", self.service, exc, len(accepted))
                time.sleep(1.0)
                for waiting, _event, _publisher in accepted[position:]:
                    channel.basic_nack(waiting.tag, requeue=True)
                return
            except Exception as exc:  # the handler failed: its transaction rolled back
                self._retry_or_park(channel, delivery, event, publisher, exc)
            channel.basic_ack(delivery.tag)

    def _retry_or_park(
        self, channel: Channel, delivery: Delivery, event: Event, publisher: str | None, exc: Exception
    ) -> None:
        attempt = int((delivery.properties.headers or {}).get(ATTEMPT_HEADER, 0)) + 1
        error = "".join(traceback.format_exception_only(exc)).strip()
        log.warning("%s: %s %s failed (attempt %d): %s", self.service, event.type, event.id, attempt, error)
        if attempt <= len(self.retry_queues):
            extra = {ATTEMPT_HEADER: attempt, ERROR_HEADER: error, PUBLISHER_HEADER: publisher or ""}
            self._forward(channel, self.retry_queues[attempt - 1], delivery, extra)
        else:
            self._park(channel, delivery, publisher, error, attempts=attempt)

    def handle(self, event: Event) -> bool:
        """Run the event's handler with the inbox row in one transaction. False if it was a repeat
        (already handled) or an event this service does not handle."""
        return event.id in self.handle_batch([event])

    def handle_batch(self, events: list[Event]) -> set[str]:
        """Handle `events` in one transaction, each with its inbox row; the ids handled now.
        Repeats (already in the inbox, or twice in `events`) and events this service does not
        handle are skipped. Raises what a handler raised, with nothing committed."""
        events = [event for event in events if event.type in self.handlers]
        handled: set[str] = set()
        if not events:
            return handled
        with self.db.transaction() as session:
            fresh = self._first_times(session, events)
            todo: list[Event] = []
            for event in events:
                if event.id not in fresh:
                    log.info("%s: %s %s already handled; skipped", self.service, event.type, event.id)
                    continue
                fresh.discard(event.id)
                todo.append(event)
            # In arrival order; a run of one type whose handler has a set-based twin goes to it at once.
            for event_type, run in groupby(todo, key=lambda event: event.type):
                contexts = [HandlerContext(session, event, self.outbox) for event in run]
                handler = self.handlers[event_type]
                many = getattr(handler, "many", None)
                if many is not None and len(contexts) > 1:
                    many(contexts)
                else:
                    for context in contexts:
                        handler(context)
                handled.update(context.event.id for context in contexts)
        return handled

    def _first_times(self, session: Session, events: list[Event]) -> set[str]:
        """Insert the events' inbox rows in one statement; the ids that were not there yet. A
        replica inserting the same id concurrently waits for the other's transaction, and skips
        the id if it committed. Ids are inserted in order, so two replicas never lock each other's."""
        now = utcnow()
        types = {event.id: event.type for event in events}
        ids = sorted(types)
        if self.db.is_postgres:
            arrays = rows_of_arrays(
                self.inbox, {"event_id": ids, "event_type": [types[i] for i in ids]}, {"handled_at": now}
            )
            statement = (
                postgresql.insert(self.inbox)
                .from_select(["event_id", "event_type", "handled_at"], arrays)
                .on_conflict_do_nothing(index_elements=[self.inbox.c.event_id])
                .returning(self.inbox.c.event_id)
            )
            return set(session.execute(statement).scalars())
        rows = [{"event_id": i, "event_type": types[i], "handled_at": now} for i in ids]
        insert_rows = (
            sqlite.insert(self.inbox)
            .on_conflict_do_nothing(index_elements=[self.inbox.c.event_id])
            .returning(self.inbox.c.event_id)
        )
        return set(session.execute(insert_rows, rows).scalars())

    def _forward(self, channel: Channel, queue: str, delivery: Delivery, extra_headers: dict[str, Any]) -> None:
        # Published with confirms before the original is acked: a crash in between repeats, never
        # drops. The copy is this service's (its user_id); the header keeps who published the original.
        # A copy of a secret expires with it; past it, there is nothing left worth keeping.
        properties = delivery.properties
        expires_at = expires_at_of(properties)
        if expires_at is not None and expires_at <= utcnow():
            log.info("%s: message %s not kept: the secret it carries expired", self.service, properties.message_id)
            return
        headers = {**(properties.headers or {}), **extra_headers}
        channel.basic_publish(
            self.exchange,
            queue,
            delivery.body,
            properties=persistent(properties.message_id, properties.type, self.user, headers, expires_at),
            mandatory=True,
        )

    def _park(self, channel: Channel, delivery: Delivery, publisher: str | None, error: str, attempts: int) -> None:
        log.error("%s: parking message %s: %s", self.service, delivery.properties.message_id, error)
        parked = {ERROR_HEADER: error[:2000], ATTEMPT_HEADER: attempts, "x-mumaris-parked-at": isoformat(utcnow())}
        self._forward(channel, self.dead_queue, delivery, {**parked, PUBLISHER_HEADER: publisher or ""})
