"""What every use case of applications works with: its dependencies (`Applications`), the one way a
request's or an update's status changes (`move`, `move_update`: the table, then the timeline), the
look-ups that refuse what the caller may not see, and the request as the API shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal, refuse_own_case
from mumaris_shared.db import Database, Reader
from mumaris_shared.events import isoformat
from mumaris_shared.outbox import Outbox

from ..adapters import licensing, repository
from ..adapters.storage import Storage
from ..domain.errors import NoSuchMembership, NoSuchRequest
from ..domain.lifecycle import ON_THE_REQUEST, Step, transition, update_transition
from ..domain.numbers import normalise_application_number, normalise_membership_number
from ..settings import Settings


@dataclass(frozen=True)
class Applications:
    db: Database
    outbox: Outbox
    settings: Settings
    clock: Callable[[], datetime]
    storage: Storage


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


def move_many(session: Session, moves: list[tuple[Row, str]], *, by: str, at: datetime, reason: str) -> None:
    """`move` of many requests, each by its action, in a statement per new status and one for
    their timelines."""
    steps = [
        (application, transition(action, application.status, application.review_started_at is not None))
        for application, action in moves
    ]
    for status in {step.status for _, step in steps}:
        numbers = [application.number for application, step in steps if step.status == status]
        repository.update_applications(session, numbers, status=status, updated_at=at)
    repository.add_timeline_entries(
        session,
        [dict(application_number=a.number, status=step.records, at=at, by=by, reason=reason) for a, step in steps],
    )


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


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment)


def not_their_own(staff: Principal, application: Row, what: str) -> None:
    """The member of staff is not the request's applicant (auth.refuse_own_case)."""
    refuse_own_case(staff, what, application.account_id, application.applicant_national_id)


# --- finding requests and memberships ------------------------------------------------------------------
def find(session: Reader, number: str, for_update: bool = False) -> Row | None:
    normalised = normalise_application_number(number)
    return repository.application_by_number(session, normalised, for_update) if normalised else None


def looked_up(db: Database, number: str) -> Row | None:
    """What a read decides with (number, account_id, status, updated_at, revision), for a look-up
    alone: outside any transaction (repository.application_to_read)."""
    normalised = normalise_application_number(number)
    return repository.application_to_read(db, normalised) if normalised else None


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


def visible(session: Reader, caller: Principal, number: str) -> Row:
    application = find(session, number)
    if application is None or not caller.may_see(application.account_id):
        raise NoSuchRequest()
    return application


def membership(session: Reader, membership_number: str, for_update: bool = False) -> Row | None:
    """The approved registration holding the number, if it is one."""
    normalised = normalise_membership_number(membership_number)
    return normalised and repository.application_by_membership_number(session, normalised, for_update)


def owned_membership(session: Session, owner: Principal, membership_number: str) -> Row:
    application = membership(session, membership_number, for_update=True)
    if not application or application.account_id != owner.id:
        raise NoSuchMembership()
    return application


def visible_membership(session: Reader, caller: Principal, membership_number: str) -> Row:
    application = membership(session, membership_number)
    if not application or not caller.may_see(application.account_id):
        raise NoSuchMembership()
    return application


# --- the request as the API shows it ----------------------------------------------------------------------
def summary(application: Row) -> dict:
    return {
        "number": application.number,
        "kind": application.kind,
        "status": application.status,
        "membership_number": application.membership_number,
        "renews": application.renews,
        "category": application.category,
        "specialty": application.specialty,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }


def detail(session: Reader, application: Row) -> dict:
    returned = None
    if application.returned_at is not None:
        returned = {
            "reason": application.return_reason,
            "items": application.return_items,
            "returned_at": application.returned_at,
            "correct_by": application.correct_by,
        }
    dataflow = None
    if application.dataflow_outcome is not None:
        dataflow = {
            "outcome": application.dataflow_outcome,
            "note": application.dataflow_note,
            "recorded_at": application.dataflow_recorded_at,
        }
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
        "returned": returned,
        "dataflow": dataflow,
        "applied_category": application.applied_category or application.category,
        "classified_at": application.classified_at,
        "fees_outstanding": application.fees_outstanding_since is not None,
        "documents": [
            document_kind_entry(row) for row in licensing.documents_of(session, "application", application.number)
        ],
        "timeline": [timeline_entry(entry) for entry in repository.timeline_of(session, application.number)],
    }


def document_kind_entry(row: Row) -> dict:
    return {"id": row.id, "kind": row.kind, "content_type": row.content_type, "size": row.size}


def timeline_entry(entry: Row) -> dict:
    shown = {"status": entry.status, "at": entry.at, "by": entry.by, "reason": entry.reason}
    if entry.update_id is not None:  # only the update_* entries name their data update
        shown["update_id"] = entry.update_id
    return shown
