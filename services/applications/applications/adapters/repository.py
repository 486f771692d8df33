"""Reading and writing the applications tables inside a caller's transaction."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.lifecycle import UNDER_REVIEW
from .orm import applications_table as applications, timeline_table as timeline

MEMBERSHIP_NUMBER_TRIES = 5


def add_application(session: Session, **values) -> None:
    session.execute(insert(applications).values(**values))


def application_by_number(session: Session, number: str, for_update: bool = False) -> Row | None:
    statement = select(applications).where(applications.c.number == number)
    if for_update:  # serialises concurrent changes of one request (PostgreSQL; SQLite is serial anyway)
        statement = statement.with_for_update()
    return session.execute(statement).first()


def applications_of(session: Session, account_id: str) -> list[Row]:
    """The account's requests, newest first."""
    return session.execute(select(applications).where(applications.c.account_id == account_id)
                           .order_by(applications.c.created_at.desc(), applications.c.number)).all()


def review_queue(session: Session) -> list[Row]:
    """Requests under review, in the order they entered review."""
    return session.execute(select(applications).where(applications.c.status == UNDER_REVIEW)
                           .order_by(applications.c.under_review_at, applications.c.number)).all()


def update_application(session: Session, number: str, **values) -> None:
    session.execute(update(applications).where(applications.c.number == number).values(**values))


def issue_membership_number(session: Session, number: str, new_number: Callable[[], str]) -> str:
    """Gives the request a membership number no other request holds (a collision is tried again)."""
    for _ in range(MEMBERSHIP_NUMBER_TRIES):
        candidate = new_number()
        try:
            with session.begin_nested():
                update_application(session, number, membership_number=candidate)
        except IntegrityError:
            continue
        return candidate
    raise RuntimeError("no free membership number found; the number space is running out")


def add_timeline_entry(session: Session, number: str, status: str, at: datetime, by: str,
                       reason: str | None) -> None:
    session.execute(insert(timeline).values(application_number=number, status=status, at=at, by=by, reason=reason))


def timeline_of(session: Session, number: str) -> list[Row]:
    return session.execute(select(timeline).where(timeline.c.application_number == number)
                           .order_by(timeline.c.id)).all()
