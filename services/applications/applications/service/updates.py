"""Data updates of a membership (R11): its owner submits new data, a reviewer takes and decides the
update like a request; approved, the new data replaces the old, which is kept as a version."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import DATA_UPDATE_APPROVED, DATA_UPDATE_REJECTED, DATA_UPDATE_SUBMITTED
from mumaris_shared.events import isoformat

from ..adapters import repository
from ..domain.errors import NoSuchUpdate, TakenByAnotherReviewer, UpdateAlreadyOpen
from ..domain.lifecycle import APPROVE, DECISIONS, START_REVIEW, SUBMIT_UPDATE, UNDER_REVIEW
from ..domain.updates import fields_changed, updated
from .context import Applications, move, move_update, not_their_own, owned_membership, request_data


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


def submit_update(a: Applications, owner: Principal, membership_number: str, changes: dict) -> dict:
    """The membership's owner submits new data: the update joins the reviewers' queue and the
    request's timeline; one open update at a time."""
    now = a.clock()
    with a.db.transaction() as session:
        application = owned_membership(session, owner, membership_number)
        already_open = repository.open_data_update(session, application.number)
        if already_open is not None:
            raise UpdateAlreadyOpen(already_open.id)
        update_id = str(uuid.uuid4())
        repository.add_data_update(
            session,
            id=update_id,
            application_number=application.number,
            membership_number=application.membership_number,
            account_id=owner.id,
            status=UNDER_REVIEW,
            changes=changes,
            submitted_at=now,
        )
        move(session, application, SUBMIT_UPDATE, by=owner.id, at=now, update_id=update_id)
        a.outbox.publish(
            session,
            DATA_UPDATE_SUBMITTED,
            {
                **update_data(application, update_id),
                "fields_changed": fields_changed(changes),
                "submitted_at": isoformat(now),
            },
        )
        return update_detail(repository.data_update_by_id(session, update_id))


def existing_update(session: Session, update_id: str) -> tuple[Row, Row]:
    """The update and its request, both locked (the request first, as every change of it does)."""
    data_update = repository.data_update_by_id(session, update_id)
    if data_update is None:
        raise NoSuchUpdate()
    application = repository.application_by_number(session, data_update.application_number, for_update=True)
    return repository.data_update_by_id(session, update_id, for_update=True), application


def start_update_review(a: Applications, reviewer: Principal, update_id: str) -> dict:
    """The reviewer takes the update. Taking it again is harmless; another reviewer cannot."""
    now = a.clock()
    with a.db.transaction() as session:
        data_update, application = existing_update(session, update_id)
        not_their_own(reviewer, application, "data update")
        if data_update.review_started_at is not None and data_update.reviewer_id == reviewer.id:
            return update_detail(data_update)
        if data_update.review_started_at is not None:
            raise TakenByAnotherReviewer("data update", data_update.status, data_update.reviewer_id)
        move_update(
            session,
            data_update,
            application,
            START_REVIEW,
            by=reviewer.id,
            at=now,
            review_started_at=now,
            reviewer_id=reviewer.id,
        )
        return update_detail(repository.data_update_by_id(session, data_update.id))


def decide_update(a: Applications, reviewer: Principal, update_id: str, decision: str, reason: str | None) -> dict:
    """Approve (the new data replaces the old, which is kept as a version) or reject (nothing
    changes); only by the reviewer who took the update."""
    now, action = a.clock(), DECISIONS[decision]
    with a.db.transaction() as session:
        data_update, application = existing_update(session, update_id)
        not_their_own(reviewer, application, "data update")
        if data_update.review_started_at is not None and data_update.reviewer_id != reviewer.id:
            raise TakenByAnotherReviewer("data update", data_update.status, data_update.reviewer_id)
        move_update(session, data_update, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now)
        data = {**update_data(application, data_update.id), "decided_at": isoformat(now)}
        if action == APPROVE:
            current = repository.membership_data(application)
            version = len(repository.versions_of(session, application.number)) + 1
            repository.add_version(
                session, application.number, version=version, data=current, replaced_at=now, update_id=data_update.id
            )
            new = updated(current, repository.changes_of(data_update))
            repository.update_application(session, application.number, **repository.membership_columns(new))
            a.outbox.publish(session, DATA_UPDATE_APPROVED, data)
        else:
            a.outbox.publish(session, DATA_UPDATE_REJECTED, {**data, "reason": reason})
        return update_detail(repository.data_update_by_id(session, data_update.id))


def read_update(a: Applications, caller: Principal, update_id: str) -> dict:
    with a.db.reading() as session:
        data_update = repository.data_update_by_id(session, update_id)
        if data_update is None or not caller.may_see(data_update.account_id):
            raise NoSuchUpdate()
        return update_detail(data_update)
