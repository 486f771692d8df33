"""Reading and writing the applications tables inside a caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.db import Database, Reader, claim

from ..domain.lifecycle import RETURNED, UNDER_REVIEW
from .orm import applications_table as applications
from .orm import data_updates_table as data_updates
from .orm import membership_versions_table as versions
from .orm import timeline_table as timeline

MEMBERSHIP_NUMBER_TRIES = 5


def add_application(session: Session, **values) -> None:
    session.execute(insert(applications).values(**values))


# The look-ups of every read of a request, built once: building a statement again for each request
# (its clauses, then its cache key) cost as much as running it.
_BY_NUMBER = select(applications).where(applications.c.number == bindparam("number"))
_BY_NUMBER_FOR_UPDATE = _BY_NUMBER.with_for_update()
_TIMELINE = select(timeline).where(timeline.c.application_number == bindparam("number")).order_by(timeline.c.id)
# What a read of a request decides with before it answers: who may see it, the status look-up's
# own fields, and the revision its kept answer is for. Sending and decoding the other 32 columns
# cost PostgreSQL and the driver 15-25 us of a look-up's 90-120; the answer, when it must be made,
# reads the request again whole.
_TO_READ = select(
    applications.c.number,
    applications.c.account_id,
    applications.c.status,
    applications.c.updated_at,
    applications.c.revision,
).where(applications.c.number == bindparam("number"))


def application_to_read(db: Database, number: str) -> Row | None:
    """The request's number, owner, status, last change and revision, for a look-up alone: outside
    any transaction, on the driver itself (mumaris_shared.db.LookUp)."""
    found: Row | None = db.look_up(_TO_READ).first(number=number)
    return found


def application_by_number(session: Reader, number: str, for_update: bool = False) -> Row | None:
    # for update: serialises concurrent changes of one request (PostgreSQL; SQLite is serial anyway)
    return session.execute(_BY_NUMBER_FOR_UPDATE if for_update else _BY_NUMBER, {"number": number}).first()


def applications_by_numbers(session: Session, numbers: list[str], for_update: bool = False) -> dict[str, Row]:
    """The requests of `numbers` that exist, by number; `for_update` locks them in number order."""
    statement = select(applications).where(applications.c.number.in_(numbers)).order_by(applications.c.number)
    if for_update:
        statement = statement.with_for_update()
    return {row.number: row for row in session.execute(statement)}


def applications_of(session: Reader, account_id: str) -> list[Row]:
    """The account's requests, newest first."""
    return session.execute(
        select(applications)
        .where(applications.c.account_id == account_id)
        .order_by(applications.c.created_at.desc(), applications.c.number)
    ).all()


def review_queue(session: Reader) -> list[Row]:
    """Requests under review, in the order they entered review."""
    return session.execute(
        select(applications)
        .where(applications.c.status == UNDER_REVIEW)
        .order_by(applications.c.under_review_at, applications.c.number)
    ).all()


# Every change of a request moves its revision, in the statement that makes it: its columns here, its
# timeline entries (added with the change of status they record, by `context.move` and `move_many`), its
# documents (licensing.add_document, delete_document). What the API answered about the request is
# sent again while the revision is the same (api/requests.py, mumaris_shared.kept_answers).
_NEXT_REVISION = {"revision": applications.c.revision + 1}


def update_application(session: Session, number: str, **values) -> None:
    session.execute(update(applications).where(applications.c.number == number).values(**values, **_NEXT_REVISION))


def update_applications(session: Session, numbers: list[str], **values) -> None:
    if numbers:
        session.execute(
            update(applications).where(applications.c.number.in_(numbers)).values(**values, **_NEXT_REVISION)
        )


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


def add_timeline_entries(session: Session, entries: list[dict]) -> None:
    """Several timeline entries (application_number, status, at, by, reason) in one statement."""
    if entries:
        session.execute(insert(timeline), [{"update_id": None, **entry} for entry in entries])


def add_timeline_entry(
    session: Session, number: str, status: str, at: datetime, by: str, reason: str | None, update_id: str | None = None
) -> None:
    session.execute(
        insert(timeline).values(
            application_number=number, status=status, at=at, by=by, reason=reason, update_id=update_id
        )
    )


def timeline_of(session: Reader, number: str) -> list[Row]:
    return session.execute(_TIMELINE, {"number": number}).all()


# --- memberships and their data updates ---------------------------------------------------------------
def application_by_membership_number(session: Reader, membership_number: str, for_update: bool = False) -> Row | None:
    statement = select(applications).where(applications.c.membership_number == membership_number)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).first()


def add_data_update(session: Session, *, changes: dict, **values) -> None:
    session.execute(insert(data_updates).values(changes=json.dumps(changes, sort_keys=True), **values))


def data_update_by_id(session: Session, update_id: str, for_update: bool = False) -> Row | None:
    statement = select(data_updates).where(data_updates.c.id == update_id)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).first()


def open_data_update(session: Session, application_number: str) -> Row | None:
    """The request's update still under review, if any (there is at most one)."""
    return session.execute(
        select(data_updates).where(
            data_updates.c.application_number == application_number, data_updates.c.status == UNDER_REVIEW
        )
    ).first()


def data_updates_of(session: Reader, application_number: str) -> list[Row]:
    """The request's updates, oldest first."""
    return session.execute(
        select(data_updates)
        .where(data_updates.c.application_number == application_number)
        .order_by(data_updates.c.submitted_at, data_updates.c.id)
    ).all()


def update_data_update(session: Session, update_id: str, **values) -> None:
    session.execute(update(data_updates).where(data_updates.c.id == update_id).values(**values))


def update_queue(session: Reader) -> list[Row]:
    """Updates under review, in the order they were submitted, with their request's category."""
    return session.execute(
        select(data_updates, applications.c.category)
        .join(applications, applications.c.number == data_updates.c.application_number)
        .where(data_updates.c.status == UNDER_REVIEW)
        .order_by(data_updates.c.submitted_at, data_updates.c.id)
    ).all()


def changes_of(update_row: Row) -> dict:
    return json.loads(update_row.changes)


def add_version(
    session: Session, application_number: str, *, version: int, data: dict, replaced_at: datetime, update_id: str
) -> None:
    session.execute(
        insert(versions).values(
            application_number=application_number,
            version=version,
            data=json.dumps(data, sort_keys=True),
            replaced_at=replaced_at,
            update_id=update_id,
        )
    )


def versions_of(session: Reader, application_number: str) -> list[dict]:
    """The membership's previous versions, oldest first."""
    rows = session.execute(
        select(versions).where(versions.c.application_number == application_number).order_by(versions.c.version)
    ).all()
    return [
        {
            "version": row.version,
            "data": json.loads(row.data),
            "replaced_at": row.replaced_at,
            "update_id": row.update_id,
        }
        for row in rows
    ]


def membership_data(application: Row) -> dict:
    """The data a data update may change (domain/updates.UPDATABLE), as the request holds it now."""
    employer = None
    if application.employer_name is not None:
        employer = {"name": application.employer_name, "city": application.employer_city}
    return {
        "email": application.email,
        "mobile": application.mobile,
        "address": application.address,
        "specialty": application.specialty,
        "qualification": {
            "degree": application.degree,
            "institution": application.institution,
            "country": application.country,
            "year": application.graduation_year,
        },
        "employer": employer,
    }


def membership_columns(data: dict) -> dict:
    """`membership_data`'s inverse: the columns of the applications table that hold `data`."""
    qualification, employer = data["qualification"], data["employer"] or {}
    return {
        "email": data["email"],
        "mobile": data["mobile"],
        "address": data["address"],
        "specialty": data["specialty"],
        "degree": qualification["degree"],
        "institution": qualification["institution"],
        "country": qualification["country"],
        "graduation_year": qualification["year"],
        "employer_name": employer.get("name"),
        "employer_city": employer.get("city"),
    }


def delete_application(session: Session, number: str) -> None:
    """A draft, with its timeline (nothing else refers to a draft but its documents, deleted first)."""
    session.execute(delete(timeline).where(timeline.c.application_number == number))
    session.execute(delete(applications).where(applications.c.number == number))


def returned_past_deadline(session: Session, db, now: datetime, limit: int) -> list[Row]:
    """Returned requests whose correction deadline has passed, claimed (db.claim)."""
    return claim(
        session,
        db,
        applications,
        applications.c.status == RETURNED,
        applications.c.correct_by <= now,
        order_by=applications.c.correct_by,
        limit=limit,
    )
