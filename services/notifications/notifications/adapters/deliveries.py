"""The recipients and the delivery log, read and written one way for handlers, mailer and API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mumaris_shared.db import notify_at_commit
from mumaris_shared.events import Event, utcnow

from ..domain.emails import Email
from .orm import deliveries_table, recipients_table

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)

# The mailer LISTENs here (PostgreSQL), so a committed delivery goes out at once, not at its next poll.
NOTIFY_CHANNEL = "mumaris_deliveries"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, table: Table):
    # Both backends speak INSERT … ON CONFLICT, each through its own dialect's construct.
    return (postgresql.insert if _is_postgres(session) else sqlite.insert)(table)


def remember_recipient(
    session: Session, account_id: str, email: str, full_name: str, language: str, as_of: datetime
) -> None:
    """Insert or update a person's contact details, unless what we hold is newer than `as_of`
    (events can arrive out of order after a retry)."""
    table = recipients_table
    statement = _insert(session, table).values(
        account_id=account_id, email=email, full_name=full_name, language=language, updated_at=as_of
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.account_id],
            set_={name: statement.excluded[name] for name in ("email", "full_name", "language", "updated_at")},
            where=table.c.updated_at <= statement.excluded.updated_at,
        )
    )


def find_recipient(session: Session, account_id: str):
    """The person's address, name and language (a row), or None if no accounts event has named them yet."""
    table = recipients_table
    return session.execute(
        select(table.c.email, table.c.full_name, table.c.language).where(table.c.account_id == account_id)
    ).one_or_none()


def find_recipients(session: Session, account_ids: list[str]) -> dict:
    """`find_recipient` of several accounts in one query: by account id, those known."""
    table = recipients_table
    rows = session.execute(
        select(table.c.account_id, table.c.email, table.c.full_name, table.c.language).where(
            table.c.account_id.in_(set(account_ids))
        )
    )
    return {row.account_id: row for row in rows}


def queue_delivery(
    session: Session,
    event: Event,
    template: str,
    recipient: str,
    email: Email,
    secret_until: datetime | None = None,
) -> None:
    """A pending delivery, in the caller's transaction; the same (event, template, recipient) again
    is a no-op, so a handler is safe to repeat. `secret_until`: the e-mail carries a secret (a
    code) valid until then; it is not sent after, and its bodies are blanked out (`blank_expired`)."""
    queue_deliveries(session, [(event, template, recipient, email, secret_until)])


def queue_deliveries(session: Session, deliveries: list[tuple[Event, str, str, Email, datetime | None]]) -> None:
    """`queue_delivery` of several (event, template, recipient, email, secret_until), in one statement."""
    table, now = deliveries_table, utcnow()
    rows = [
        dict(
            id=str(uuid.uuid4()),
            event_id=event.id,
            event_type=event.type,
            template=template,
            recipient=recipient,
            language=email.language,
            subject=email.subject,
            text=email.text,
            html=email.html,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            secret_until=secret_until,
        )
        for event, template, recipient, email, secret_until in deliveries
    ]
    statement = _insert(session, table).on_conflict_do_nothing(
        index_elements=[table.c.event_id, table.c.template, table.c.recipient]
    )
    session.execute(statement, rows)  # many rows: one INSERT all the same (SQLAlchemy's "insertmanyvalues")
    notify_at_commit(session, NOTIFY_CHANNEL)  # the mailer wakes with the row committed


def delivery_log(session: Session, recipient: str | None = None, status: str | None = None, limit: int = 50):
    """Deliveries, newest first."""
    table = deliveries_table
    statement = select(table).order_by(table.c.created_at.desc(), table.c.id).limit(limit)
    if recipient is not None:
        statement = statement.where(table.c.recipient == recipient)
    if status is not None:
        statement = statement.where(table.c.status == status)
    return session.execute(statement).all()


BLANKED = "[removed: this e-mail held a one-time code, which has expired]"


def blank_expired(session: Session, now: datetime) -> int:
    """Deliveries whose secret has expired keep no trace of it: their bodies are blanked out, and
    one still pending is failed (a code sent after its life is of no use). How many."""
    table = deliveries_table
    expired = (table.c.secret_until <= now, table.c.text != BLANKED)
    session.execute(
        update(table)
        .where(*expired, table.c.status == PENDING)
        .values(status=FAILED, last_error="its code expired before it could be sent")
    )
    blanked: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result
        update(table).where(*expired).values(text=BLANKED, html=BLANKED)
    )
    return blanked.rowcount
