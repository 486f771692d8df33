"""The transactional outbox and its relay.

A service writes its state change and the event into `outbox` in one transaction (`Outbox.add`).
The relay claims unsent rows, publishes them in one confirmed batch, and marks them sent only once
the broker confirmed them: a crash or an outage anywhere in between delays events, never loses
them (a batch may go out twice; consumers' inboxes drop the repeat)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import CursorResult, Table, and_, delete, or_, text, update
from sqlalchemy.orm import Session

from .broker import ConfirmingPublisher, Outgoing, PublishFailed
from .config import env_duration
from .contracts import SCHEMAS, validated
from .db import Database, claim, notify_at_commit
from .events import Event, utcnow
from .loop import keep_working

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "mumaris_outbox"


class Outbox:
    def __init__(self, db: Database, table: Table, producer: str):
        self.db = db
        self.table = table
        self.producer = producer

    def add(self, session: Session, event: Event, expires_at: datetime | None = None) -> Event:
        self.add_many(session, [event], expires_at)
        return event

    def add_many(self, session: Session, events: list[Event], expires_at: datetime | None = None) -> None:
        """Record `events` in the caller's transaction, in one statement."""
        if not events:
            return
        now = utcnow()
        values = dict(created_at=now, attempts=0, expires_at=expires_at)
        rows = [dict(event_id=e.id, event_type=e.type, body=e.to_json(), **values) for e in events]
        session.execute(self.table.insert(), rows)
        # Delivered at commit, waking a listening relay at once instead of at its next poll.
        notify_at_commit(session, NOTIFY_CHANNEL)

    def publish(
        self,
        session: Session,
        event_type: str,
        data: dict[str, Any],
        caused_by: Event | None = None,
        expires_at: datetime | None = None,
    ) -> Event:
        """Record a new event of this service, in the caller's transaction. Data of an event type
        with a contract (`contracts.SCHEMAS`) is validated first. `expires_at`: the event carries a
        secret (a code) that must not be kept past then, here or on the broker."""
        return self.add(session, self.event(event_type, data, caused_by), expires_at)

    def event(self, event_type: str, data: dict[str, Any], caused_by: Event | None = None) -> Event:
        """A new event of this service, not recorded yet; data of an event type with a contract
        (`contracts.SCHEMAS`) is validated."""
        if event_type in SCHEMAS:
            validated(event_type, data)
        if caused_by is not None:
            return caused_by.caused(event_type, data, self.producer)
        return Event(type=event_type, data=data, producer=self.producer)

    def pending_count(self) -> int:
        with self.db.engine.connect() as connection:
            count: int = connection.execute(
                text(f"SELECT COUNT(*) FROM {self.table.name} WHERE sent_at IS NULL")
            ).scalar_one()
            return count


class Waker:
    """Waits until new rows may be waiting. PostgreSQL: LISTEN/NOTIFY wakes it within
    milliseconds of a commit (with a slow poll as a safety net). SQLite has no notifications,
    so it polls often; the query is one index probe."""

    def __init__(
        self, db: Database, channel: str = NOTIFY_CHANNEL, sqlite_poll: float = 0.05, postgres_poll: float = 1.0
    ):
        self.db = db
        self.channel = channel
        self.sqlite_poll = sqlite_poll
        self.postgres_poll = postgres_poll
        self._listener: psycopg.Connection[Any] | None = None

    def wait(self, stop: threading.Event) -> None:
        if not self.db.is_postgres:
            stop.wait(self.sqlite_poll)
            return
        try:
            listener = self._listen()
            deadline = time.monotonic() + self.postgres_poll
            # In short slices, so that `stop` is honoured promptly.
            while not stop.is_set() and time.monotonic() < deadline:
                if list(listener.notifies(timeout=min(0.25, self.postgres_poll), stop_after=1)):
                    return
        except (psycopg.Error, OSError) as exc:
            log.warning("LISTEN connection lost (%s); polling until it is back", exc)
            self.close()
            stop.wait(self.postgres_poll)

    def _listen(self) -> psycopg.Connection[Any]:
        if self._listener is None:
            url = self.db.engine.url.set(drivername="postgresql")
            listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            listener.execute(f"LISTEN {self.channel}")
            self._listener = listener
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None


def backoff(attempts: int, base: float = 1.0, cap: float = 300.0) -> timedelta:
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


class Relay:
    """Sent rows are kept for `retention` (OUTBOX_RETENTION, PT10M), then deleted: long enough to
    look at what went out. A row whose event carries a secret (a code) is deleted when the secret
    expires, sent or not, and never published after; published, the broker discards it then."""

    PRUNE_EVERY = 10.0  # seconds: a code expired this long ago at most is still stored

    def __init__(
        self,
        outbox: Outbox,
        publisher: ConfirmingPublisher,
        batch_size: int = 500,
        waker: Waker | None = None,
        retention: timedelta | None = None,
    ):
        self.outbox = outbox
        self.db = outbox.db
        self.table = outbox.table
        self.publisher = publisher
        self.batch_size = batch_size
        self.waker = waker or Waker(self.db)
        self.retention = retention if retention is not None else env_duration("OUTBOX_RETENTION", "PT10M")

    def prune(self) -> int:
        """Delete rows sent longer than `retention` ago, and those whose secret expired, sent or
        not (too late to be of use); returns how many."""
        table, now = self.table, utcnow()
        with self.db.transaction() as session:
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # a DELETE's result
                delete(table).where(
                    or_(
                        and_(table.c.sent_at.is_not(None), table.c.sent_at < now - self.retention),
                        table.c.expires_at <= now,
                    )
                )
            )
            return result.rowcount

    def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many the broker confirmed."""
        table, now = self.table, utcnow()
        with self.db.transaction() as session:
            rows = claim(
                session,
                self.db,
                table,
                table.c.sent_at.is_(None),
                or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
                or_(table.c.expires_at.is_(None), table.c.expires_at > now),
                order_by=table.c.position,
                limit=self.batch_size,
            )
            if not rows:
                return 0
            if not self.db.is_postgres:
                # One relay per SQLite file: don't hold its write lock while the broker answers.
                session.commit()
            returned = self.publisher.publish_batch(
                [Outgoing(row.event_id, row.event_type, row.body, row.expires_at) for row in rows]
            )
            sent = [row.position for row in rows if row.event_id not in returned]
            if sent:
                session.execute(update(table).where(table.c.position.in_(sent)).values(sent_at=utcnow()))
            for row in rows:
                if row.event_id in returned:
                    # No queue is bound for it yet (its consumer has not declared one): keep it.
                    session.execute(
                        update(table)
                        .where(table.c.position == row.position)
                        .values(
                            attempts=row.attempts + 1,
                            next_attempt_at=now + backoff(row.attempts + 1),
                            last_error="unroutable: no queue is bound for this event type",
                        )
                    )
            return len(sent)

    def run(self, stop: threading.Event) -> None:
        pruned_at = 0.0

        def step() -> bool:
            nonlocal pruned_at
            published = self.relay_once()
            if time.monotonic() - pruned_at > self.PRUNE_EVERY:
                self.prune()
                pruned_at = time.monotonic()
            return published == self.batch_size

        keep_working(step, stop, self.waker.wait, "relay", expected=(PublishFailed,))
        self.waker.close()
