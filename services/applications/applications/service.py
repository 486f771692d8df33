"""What the applications service does, one method per use: each runs in one transaction,
publishes its events through the outbox in that transaction, and refuses with a `domain.errors`
exception (the lifecycle's `IllegalTransition` among them), so a refused request changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    APPLICATION_REVIEW_STARTED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
    DATA_UPDATE_APPROVED,
    DATA_UPDATE_REJECTED,
    DATA_UPDATE_SUBMITTED,
)
from mumaris_shared.events import isoformat, utcnow
from mumaris_shared.runtime import Runtime

from .adapters import repository
from .domain.errors import (
    NoSuchMembership,
    NoSuchRequest,
    NoSuchUpdate,
    TakenByAnotherReviewer,
    UpdateAlreadyOpen,
)
from .domain.lifecycle import (
    APPROVE,
    DECISIONS,
    DRAFT,
    ON_THE_REQUEST,
    START_REVIEW,
    SUBMIT,
    SUBMIT_UPDATE,
    UNDER_REVIEW,
    WITHDRAW,
    Step,
    transition,
    update_transition,
)
from .domain.numbers import (
    new_application_number,
    new_membership_number,
    normalise_application_number,
    normalise_membership_number,
)
from .domain.updates import fields_changed, updated

NUMBER_TRIES = 3


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


class ApplicationService:
    def __init__(self, runtime: Runtime, clock: Callable[[], datetime] | None = None):
        self.db = runtime.db
        self.outbox = runtime.outbox
        self.clock = clock or utcnow

    # --- the applicant --------------------------------------------------------------------------
    def create(
        self, owner: Principal, *, category: str, specialty: str, qualification: dict, dataflow_reference: str
    ) -> dict:
        now = self.clock()
        for attempt in range(1, NUMBER_TRIES + 1):
            number = new_application_number()
            try:
                with self.db.transaction() as session:
                    repository.add_application(
                        session,
                        number=number,
                        account_id=owner.id,
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
                    return self._detail(session, repository.application_by_number(session, number))
            except IntegrityError:
                if attempt == NUMBER_TRIES:  # 60 random bits: a repeat means something else is wrong
                    raise

    def submit(self, owner: Principal, number: str) -> dict:
        now = self.clock()
        with self.db.transaction() as session:
            application = self._owned(session, owner, number)
            move(session, application, SUBMIT, by=owner.id, at=now, submitted_at=now)
            self.outbox.publish(
                session,
                APPLICATION_SUBMITTED,
                {
                    **request_data(application),
                    "category": application.category,
                    "specialty": application.specialty,
                    "submitted_at": isoformat(now),
                },
            )
            return self._detail(session, repository.application_by_number(session, application.number))

    def withdraw(self, owner: Principal, number: str) -> dict:
        now = self.clock()
        with self.db.transaction() as session:
            application = self._owned(session, owner, number)
            move(session, application, WITHDRAW, by=owner.id, at=now)
            self.outbox.publish(
                session,
                APPLICATION_WITHDRAWN,
                {
                    **request_data(application),
                    "previous_status": application.status,
                    "withdrawn_at": isoformat(now),
                    "review_started_at": _iso_or_none(application.review_started_at),
                },
            )
            return self._detail(session, repository.application_by_number(session, application.number))

    def list_own(self, owner: Principal) -> list[dict]:
        with self.db.transaction() as session:
            return [_summary(row) for row in repository.applications_of(session, owner.id)]

    def read(self, caller: Principal, number: str) -> dict:
        with self.db.transaction() as session:
            application = self._find(session, number)
            if application is None or not caller.may_see(application.account_id):
                raise NoSuchRequest()
            return self._detail(session, application)

    def public_status(self, number: str) -> dict:
        """Status and last change only: anyone holding the number may ask (R10)."""
        with self.db.transaction() as session:
            application = self._find(session, number)
        if application is None:
            raise NoSuchRequest()
        return {"number": application.number, "status": application.status, "updated_at": application.updated_at}

    # --- reviewers --------------------------------------------------------------------------------
    def review_queue(self) -> list[dict]:
        """Requests and data updates under review, longest waiting first; `kind` tells them apart."""
        now = self.clock()
        with self.db.transaction() as session:
            requests, updates = repository.review_queue(session), repository.update_queue(session)
        entries = [
            {
                "kind": "application",
                **_summary(row),
                "under_review_at": row.under_review_at,
                "review_started_at": row.review_started_at,
                "reviewer_id": row.reviewer_id,
            }
            for row in requests
        ]
        entries += [
            {
                "kind": "data_update",
                "update_id": row.id,
                "number": row.application_number,
                "status": row.status,
                "membership_number": row.membership_number,
                "category": row.category,
                "fields_changed": fields_changed(repository.changes_of(row)),
                "under_review_at": row.submitted_at,
                "review_started_at": row.review_started_at,
                "reviewer_id": row.reviewer_id,
            }
            for row in updates
        ]
        entries.sort(key=lambda entry: entry["under_review_at"])  # stable: requests first at the same moment
        for entry in entries:
            entry["waiting_seconds"] = max(0, int((now - entry["under_review_at"]).total_seconds()))
        return entries

    def start_review(self, reviewer: Principal, number: str) -> dict:
        """The reviewer takes the request. Taking it again is harmless; another reviewer cannot."""
        now = self.clock()
        with self.db.transaction() as session:
            application = self._existing(session, number)
            if application.review_started_at is not None and application.reviewer_id == reviewer.id:
                return self._detail(session, application)
            if application.review_started_at is not None:
                raise TakenByAnotherReviewer("request", application.status, application.reviewer_id)
            move(
                session,
                application,
                START_REVIEW,
                by=reviewer.id,
                at=now,
                review_started_at=now,
                reviewer_id=reviewer.id,
            )
            self.outbox.publish(
                session,
                APPLICATION_REVIEW_STARTED,
                {**request_data(application), "reviewer_id": reviewer.id, "started_at": isoformat(now)},
            )
            return self._detail(session, repository.application_by_number(session, application.number))

    def decide(self, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
        """Approve (a membership number is issued) or reject; only by the reviewer who took it."""
        now, action = self.clock(), DECISIONS[decision]
        with self.db.transaction() as session:
            application = self._existing(session, number)
            if application.review_started_at is not None and application.reviewer_id != reviewer.id:
                raise TakenByAnotherReviewer("request", application.status, application.reviewer_id)
            move(session, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now)
            data = {**request_data(application), "decided_at": isoformat(now)}
            if action == APPROVE:
                data["membership_number"] = repository.issue_membership_number(
                    session, application.number, new_membership_number
                )
                self.outbox.publish(session, APPLICATION_APPROVED, data)
            else:
                self.outbox.publish(session, APPLICATION_REJECTED, {**data, "reason": reason})
            return self._detail(session, repository.application_by_number(session, application.number))

    # --- data updates of a membership (R11) ------------------------------------------------------
    def submit_update(self, owner: Principal, membership_number: str, changes: dict) -> dict:
        """The membership's owner submits new data: the update joins the reviewers' queue and the
        request's timeline; one open update at a time."""
        now = self.clock()
        with self.db.transaction() as session:
            application = self._owned_membership(session, owner, membership_number)
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
            self.outbox.publish(
                session,
                DATA_UPDATE_SUBMITTED,
                {
                    **update_data(application, update_id),
                    "fields_changed": fields_changed(changes),
                    "submitted_at": isoformat(now),
                },
            )
            return _update_detail(repository.data_update_by_id(session, update_id))

    def start_update_review(self, reviewer: Principal, update_id: str) -> dict:
        """The reviewer takes the update. Taking it again is harmless; another reviewer cannot."""
        now = self.clock()
        with self.db.transaction() as session:
            data_update, application = self._existing_update(session, update_id)
            if data_update.review_started_at is not None and data_update.reviewer_id == reviewer.id:
                return _update_detail(data_update)
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
            return _update_detail(repository.data_update_by_id(session, data_update.id))

    def decide_update(self, reviewer: Principal, update_id: str, decision: str, reason: str | None) -> dict:
        """Approve (the new data replaces the old, which is kept as a version) or reject (nothing
        changes); only by the reviewer who took the update."""
        now, action = self.clock(), DECISIONS[decision]
        with self.db.transaction() as session:
            data_update, application = self._existing_update(session, update_id)
            if data_update.review_started_at is not None and data_update.reviewer_id != reviewer.id:
                raise TakenByAnotherReviewer("data update", data_update.status, data_update.reviewer_id)
            move_update(
                session, data_update, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now
            )
            data = {**update_data(application, data_update.id), "decided_at": isoformat(now)}
            if action == APPROVE:
                current = repository.membership_data(application)
                version = len(repository.versions_of(session, application.number)) + 1
                repository.add_version(
                    session,
                    application.number,
                    version=version,
                    data=current,
                    replaced_at=now,
                    update_id=data_update.id,
                )
                new = updated(current, repository.changes_of(data_update))
                repository.update_application(session, application.number, **repository.membership_columns(new))
                self.outbox.publish(session, DATA_UPDATE_APPROVED, data)
            else:
                self.outbox.publish(session, DATA_UPDATE_REJECTED, {**data, "reason": reason})
            return _update_detail(repository.data_update_by_id(session, data_update.id))

    def read_membership(self, caller: Principal, membership_number: str) -> dict:
        """The membership's current data, its previous versions and its updates: owner or staff."""
        with self.db.transaction() as session:
            normalised = normalise_membership_number(membership_number)
            application = normalised and repository.application_by_membership_number(session, normalised)
            if not application or not caller.may_see(application.account_id):
                raise NoSuchMembership()
            history = repository.versions_of(session, application.number)
            return {
                "membership_number": application.membership_number,
                "number": application.number,
                "account_id": application.account_id,
                "status": application.status,
                "category": application.category,
                "version": len(history) + 1,
                **repository.membership_data(application),
                "history": history,
                "updates": [_update_detail(row) for row in repository.data_updates_of(session, application.number)],
            }

    def read_update(self, caller: Principal, update_id: str) -> dict:
        with self.db.transaction() as session:
            data_update = repository.data_update_by_id(session, update_id)
            if data_update is None or not caller.may_see(data_update.account_id):
                raise NoSuchUpdate()
            return _update_detail(data_update)

    def _owned_membership(self, session: Session, owner: Principal, membership_number: str) -> Row:
        # Someone else's membership is answered exactly like one that does not exist.
        normalised = normalise_membership_number(membership_number)
        application = normalised and repository.application_by_membership_number(session, normalised, for_update=True)
        if not application or application.account_id != owner.id:
            raise NoSuchMembership()
        return application

    @staticmethod
    def _existing_update(session: Session, update_id: str) -> tuple[Row, Row]:
        """The update and its request, both locked (the request first, as every change of it does)."""
        data_update = repository.data_update_by_id(session, update_id)
        if data_update is None:
            raise NoSuchUpdate()
        application = repository.application_by_number(session, data_update.application_number, for_update=True)
        return repository.data_update_by_id(session, update_id, for_update=True), application

    # --- finding requests -------------------------------------------------------------------------
    @staticmethod
    def _find(session: Session, number: str, for_update: bool = False) -> Row | None:
        normalised = normalise_application_number(number)
        return repository.application_by_number(session, normalised, for_update) if normalised else None

    def _existing(self, session: Session, number: str) -> Row:
        application = self._find(session, number, for_update=True)
        if application is None:
            raise NoSuchRequest()
        return application

    def _owned(self, session: Session, owner: Principal, number: str) -> Row:
        # Someone else's request is answered exactly like one that does not exist.
        application = self._find(session, number, for_update=True)
        if application is None or application.account_id != owner.id:
            raise NoSuchRequest()
        return application

    @staticmethod
    def _detail(session: Session, application: Row) -> dict:
        return {
            **_summary(application),
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
            "timeline": [_timeline_entry(entry) for entry in repository.timeline_of(session, application.number)],
        }


def _timeline_entry(entry: Row) -> dict:
    shown = {"status": entry.status, "at": entry.at, "by": entry.by, "reason": entry.reason}
    if entry.update_id is not None:  # only the update_* entries name their data update
        shown["update_id"] = entry.update_id
    return shown


def update_data(application: Row, update_id: str) -> dict:
    """What every `applications.data_update_*` event says of its update (contracts.DataUpdateData)."""
    return {**request_data(application), "update_id": update_id, "membership_number": application.membership_number}


def _update_detail(data_update: Row) -> dict:
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


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment)


def _summary(application: Row) -> dict:
    return {
        "number": application.number,
        "status": application.status,
        "membership_number": application.membership_number,
        "category": application.category,
        "specialty": application.specialty,
        "created_at": application.created_at,
        "updated_at": application.updated_at,
    }
