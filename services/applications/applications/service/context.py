"""What every use case of the applications service works with: its dependencies
(`Applications`), the one way a request or a data update changes status (`move`, `move_update`:
the lifecycle's tables and the timeline), finding requests as the caller may see them, the event
data shared by several use cases, and the views the API answers with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal, refuse_own_case
from mumaris_shared.db import Database
from mumaris_shared.events import isoformat
from mumaris_shared.outbox import Outbox

from ..adapters import repository
from ..domain.errors import NoSuchMembership, NoSuchRequest, NoSuchUpdate
from ..domain.lifecycle import ON_THE_REQUEST, Step, transition, update_transition
from ..domain.numbers import normalise_application_number, normalise_membership_number
from ..domain.updates import fields_changed


@dataclass(frozen=True)
class Applications:
    db: Database
    outbox: Outbox
    clock: Callable[[], datetime]


def move(
    session: Session,
    application: Row,
    action: str,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
    update_id: str | None = None,
    **changes,
) -> Step:
    """Apply `action` to the request (as `lifecycle` allows, or IllegalTransition) and put it on
    its timeline. Every change of status, from a person or an event, goes through here."""
    step = transition(action, application.status, application.review_started_at is not None)
    repository.update_application(session, application.number, status=step.status, updated_at=at, **changes)
    repository.add_timeline_entry(session, application.number, step.records, at, by, reason, update_id)
    return step


def move_update(
    session: Session,
    data_update: Row,
    application: Row,
    action: str,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
    **changes,
) -> Step:
    """Apply `action` to the data update (as `lifecycle.UPDATE_RULES` allow, or IllegalTransition),
    and the matching step to its request, whose timeline records it. Every change of an update's
    status goes through here."""
    step = update_transition(action, data_update.status, data_update.review_started_at is not None)
    if reason is not None:  # a decision's reason is shown on the update as well as on the timeline
        changes["reason"] = reason
    repository.update_data_update(session, data_update.id, status=step.status, **changes)
    move(session, application, ON_THE_REQUEST[action], by=by, at=at, reason=reason, update_id=data_update.id)
    return step


def request_data(application: Row) -> dict:
    """What every `applications.*` event says of its request (contracts.RequestData)."""
    return {"application_number": application.number, "account_id": application.account_id}


def owned_membership(session: Session, owner: Principal, membership_number: str) -> Row:
    # Someone else's membership is answered exactly like one that does not exist.
    normalised = normalise_membership_number(membership_number)
    application = normalised and repository.application_by_membership_number(session, normalised, for_update=True)
    if not application or application.account_id != owner.id:
        raise NoSuchMembership()
    return application


def existing_update(session: Session, update_id: str) -> tuple[Row, Row]:
    """The update and its request, both locked (the request first, as every change of it does)."""
    data_update = repository.data_update_by_id(session, update_id)
    if data_update is None:
        raise NoSuchUpdate()
    application = repository.application_by_number(session, data_update.application_number, for_update=True)
    return repository.data_update_by_id(session, update_id, for_update=True), application


def not_their_own(staff: Principal, application: Row, what: str) -> None:
    """The member of staff is not the request's applicant (auth.refuse_own_case)."""
    refuse_own_case(staff, what, application.account_id, application.applicant_national_id)


def find(session: Session, number: str, for_update: bool = False) -> Row | None:
    normalised = normalise_application_number(number)
    return repository.application_by_number(session, normalised, for_update) if normalised else None


def existing(session: Session, number: str) -> Row:
    application = find(session, number, for_update=True)
    if application is None:
        raise NoSuchRequest()
    return application


def owned(session: Session, owner: Principal, number: str) -> Row:
    # Someone else's request is answered exactly like one that does not exist.
    application = find(session, number, for_update=True)
    if application is None or application.account_id != owner.id:
        raise NoSuchRequest()
    return application


def detail(session: Session, application: Row) -> dict:
    return {
        **summary(application),
        "account_id": application.account_id,
        "qualification": {
            "degree": application.degree,
            "institution": application.institution,
            "country": application.country,
            "year": application.graduation_year,
        },
        "dataflow_reference": application.dataflow_reference,
        "submitted_at": application.submitted_at,
        "review_started_at": application.review_started_at,
        "decided_at": application.decided_at,
        "timeline": [timeline_entry(entry) for entry in repository.timeline_of(session, application.number)],
    }


def timeline_entry(entry: Row) -> dict:
    shown = {"status": entry.status, "at": entry.at, "by": entry.by, "reason": entry.reason}
    if entry.update_id is not None:  # only the update_* entries name their data update
        shown["update_id"] = entry.update_id
    return shown


def update_data(application: Row, update_id: str) -> dict:
    """What every `applications.data_update_*` event says of its update (contracts.DataUpdateData)."""
    return {**request_data(application), "update_id": update_id, "membership_number": application.membership_number}


def update_detail(data_update: Row) -> dict:
    changes = repository.changes_of(data_update)
    return {
        "id": data_update.id,
        "membership_number": data_update.membership_number,
        "number": data_update.application_number,
        "account_id": data_update.account_id,
        "status": data_update.status,
        "changes": changes,
        "fields_changed": fields_changed(changes),
        "submitted_at": data_update.submitted_at,
        "review_started_at": data_update.review_started_at,
        "reviewer_id": data_update.reviewer_id,
        "decided_at": data_update.decided_at,
        "reason": data_update.reason,
    }


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment)


def summary(application: Row) -> dict:
    return {
        "number": application.number,
        "status": application.status,
        "membership_number": application.membership_number,
        "category": application.category,
        "specialty": application.specialty,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }
