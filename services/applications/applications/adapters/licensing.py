"""Reading and writing licences, holders' names, documents and CPD activities inside a caller's
transaction (the requests' own tables: repository.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.db import Reader

from .orm import applications_table as applications
from .orm import cpd_activities_table as activities
from .orm import documents_table as documents
from .orm import holders_table as holders
from .orm import licences_table as licences
from .repository import update_application


# --- licences -----------------------------------------------------------------------------------------
def add_licence(session: Session, **values) -> None:
    session.execute(insert(licences).values(**values))


def licence(session: Session, membership_number: str, for_update: bool = False) -> Row | None:
    statement = select(licences).where(licences.c.membership_number == membership_number)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).first()


def update_licence(session: Session, membership_number: str, **values) -> None:
    session.execute(update(licences).where(licences.c.membership_number == membership_number).values(**values))


def open_renewal(session: Reader, membership_number: str) -> Row | None:
    """The licence's renewal request still in progress (not decided, withdrawn or cancelled), if any."""
    return session.execute(
        select(applications).where(
            applications.c.renews == membership_number,
            applications.c.status.in_(("draft", "awaiting_payment", "under_review", "returned")),
        )
    ).first()


# --- the public register ------------------------------------------------------------------------------
_REGISTER = (
    select(
        licences.c.membership_number,
        licences.c.category,
        licences.c.status,
        licences.c.valid_until,
        applications.c.specialty,
        holders.c.full_name,
    )
    .join(applications, applications.c.number == licences.c.application_number)
    .outerjoin(holders, holders.c.account_id == licences.c.account_id)
)


def register_entry(session: Reader, membership_number: str) -> Row | None:
    return session.execute(_REGISTER.where(licences.c.membership_number == membership_number)).first()


def register_search(session: Reader, name: str, specialty: str, offset: int, limit: int) -> tuple[int, list[Row]]:
    """Licences whose holder's name contains `name` and whose specialty is `specialty` (any case),
    by name: (how many in all, this page)."""
    condition = and_(
        func.lower(holders.c.full_name).contains(name.lower(), autoescape=True),
        func.lower(applications.c.specialty) == specialty.lower(),
    )
    total = session.execute(select(func.count()).select_from(_REGISTER.where(condition).subquery())).scalar_one()
    rows = session.execute(
        _REGISTER.where(condition)
        .order_by(holders.c.full_name, licences.c.membership_number)
        .offset(offset)
        .limit(limit)
    ).all()
    return total, rows


# --- holders --------------------------------------------------------------------------------------------
def remember_holder(session: Session, account_id: str, full_name: str, as_of: datetime) -> None:
    """The account's name, unless what we hold is newer."""
    known = session.execute(select(holders).where(holders.c.account_id == account_id).with_for_update()).first()
    if known is None:
        session.execute(insert(holders).values(account_id=account_id, full_name=full_name, as_of=as_of))
    elif known.as_of <= as_of:
        session.execute(
            update(holders).where(holders.c.account_id == account_id).values(full_name=full_name, as_of=as_of)
        )


def holder_name(session: Reader, account_id: str) -> str | None:
    return session.execute(select(holders.c.full_name).where(holders.c.account_id == account_id)).scalar()


# --- documents ----------------------------------------------------------------------------------------
def add_document(session: Session, **values) -> None:
    session.execute(insert(documents).values(**values))
    update_application(session, values["application_number"])  # its revision: the request's answers change


def document(session: Reader, document_id: str) -> Row | None:
    return session.execute(select(documents).where(documents.c.id == document_id)).first()


# Built once: it is part of every read of a request (see repository._BY_NUMBER).
_DOCUMENTS_OF = (
    select(documents)
    .where(documents.c.attached_to == bindparam("attached_to"), documents.c.attached_id == bindparam("attached_id"))
    .order_by(documents.c.uploaded_at, documents.c.id)
)


def documents_of(session: Reader, attached_to: str, attached_id: str) -> list[Row]:
    return session.execute(_DOCUMENTS_OF, {"attached_to": attached_to, "attached_id": attached_id}).all()


def documents_of_request(session: Reader, application_number: str) -> list[Row]:
    """Every document of the request, whatever it is attached to."""
    return session.execute(select(documents).where(documents.c.application_number == application_number)).all()


def delete_document(session: Session, document: Row) -> None:
    session.execute(delete(documents).where(documents.c.id == document.id))
    update_application(session, document.application_number)  # its revision: the request's answers change


# --- CPD activities -----------------------------------------------------------------------------------
def add_activity(session: Session, **values) -> None:
    session.execute(insert(activities).values(**values))


def activity(session: Session, activity_id: str, for_update: bool = False) -> Row | None:
    statement = select(activities).where(activities.c.id == activity_id)
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).first()


def activities_of(session: Reader, membership_number: str) -> list[Row]:
    return session.execute(
        select(activities)
        .where(activities.c.membership_number == membership_number)
        .order_by(activities.c.on, activities.c.recorded_at)
    ).all()


def update_activity(session: Session, activity_id: str, **values) -> None:
    session.execute(update(activities).where(activities.c.id == activity_id).values(**values))


def activities_by_status(session: Reader, status: str) -> list[Row]:
    return session.execute(
        select(activities).where(activities.c.status == status).order_by(activities.c.recorded_at)
    ).all()
