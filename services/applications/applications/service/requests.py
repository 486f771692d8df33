"""The applicant's request: created, sent (R2), read by its owner or staff, looked up by anyone
holding its number (R10), withdrawn."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import APPLICATION_SUBMITTED, APPLICATION_WITHDRAWN
from mumaris_shared.events import isoformat

from ..adapters import repository
from ..domain.errors import NoSuchRequest
from ..domain.lifecycle import DRAFT, SUBMIT, WITHDRAW
from ..domain.numbers import new_application_number
from .context import Applications, detail, find, iso_or_none, move, owned, request_data, summary

NUMBER_TRIES = 3


def create(
    a: Applications, owner: Principal, *, category: str, specialty: str, qualification: dict, dataflow_reference: str
) -> dict:
    now = a.clock()
    for attempt in range(1, NUMBER_TRIES + 1):
        number = new_application_number()
        try:
            with a.db.transaction() as session:
                repository.add_application(
                    session,
                    number=number,
                    account_id=owner.id,
                    applicant_national_id=owner.national_id,
                    status=DRAFT,
                    category=category,
                    specialty=specialty,
                    degree=qualification["degree"],
                    institution=qualification["institution"],
                    country=qualification["country"],
                    graduation_year=qualification["year"],
                    dataflow_reference=dataflow_reference,
                    created_at=now,
                    updated_at=now,
                )
                repository.add_timeline_entry(session, number, DRAFT, now, owner.id, None)
                return detail(session, repository.application_by_number(session, number))
        except IntegrityError:
            if attempt == NUMBER_TRIES:  # 60 random bits: a repeat means something else is wrong
                raise


def submit(a: Applications, owner: Principal, number: str) -> dict:
    now = a.clock()
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        move(session, application, SUBMIT, by=owner.id, at=now, submitted_at=now)
        a.outbox.publish(
            session,
            APPLICATION_SUBMITTED,
            {
                **request_data(application),
                "category": application.category,
                "specialty": application.specialty,
                "submitted_at": isoformat(now),
            },
        )
        return detail(session, repository.application_by_number(session, application.number))


def withdraw(a: Applications, owner: Principal, number: str) -> dict:
    now = a.clock()
    with a.db.transaction() as session:
        application = owned(session, owner, number)
        move(session, application, WITHDRAW, by=owner.id, at=now)
        a.outbox.publish(
            session,
            APPLICATION_WITHDRAWN,
            {
                **request_data(application),
                "previous_status": application.status,
                "withdrawn_at": isoformat(now),
                "review_started_at": iso_or_none(application.review_started_at),
            },
        )
        return detail(session, repository.application_by_number(session, application.number))


def list_own(a: Applications, owner: Principal) -> list[dict]:
    with a.db.transaction() as session:
        return [summary(row) for row in repository.applications_of(session, owner.id)]


def read(a: Applications, caller: Principal, number: str) -> dict:
    with a.db.transaction() as session:
        application = find(session, number)
        if application is None or not caller.may_see(application.account_id):
            raise NoSuchRequest()
        return detail(session, application)


def public_status(a: Applications, number: str) -> dict:
    """Status and last change only: anyone holding the number may ask (R10)."""
    with a.db.transaction() as session:
        application = find(session, number)
    if application is None:
        raise NoSuchRequest()
    return {"number": application.number, "status": application.status, "updated_at": application.updated_at}
