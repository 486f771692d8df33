"""What the applications service does, one method per use: each runs in one transaction,
publishes its events through the outbox in that transaction, and answers failures with an
`ApiError` (or the domain's `IllegalTransition`, a 409), so a refused request changes nothing."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import (APPLICATION_APPROVED, APPLICATION_REJECTED, APPLICATION_REVIEW_STARTED,
                                      APPLICATION_SUBMITTED, APPLICATION_WITHDRAWN)
from mumaris_shared.errors import ApiError
from mumaris_shared.events import isoformat, utcnow
from mumaris_shared.runtime import Runtime

from .adapters import repository
from .domain.access import may_read
from .domain.lifecycle import (APPROVE, DECISIONS, DRAFT, START_REVIEW, SUBMIT, WITHDRAW, Step,
                               transition)
from .domain.numbers import new_application_number, new_membership_number, normalise_application_number

NUMBER_TRIES = 3


def move(session: Session, application: Row, action: str, *, by: str, at: datetime, reason: str | None = None,
         **changes) -> Step:
    """Apply `action` to the request (as `lifecycle` allows, or IllegalTransition) and put it on
    its timeline. Every change of status, from a person or an event, goes through here."""
    step = transition(action, application.status, application.review_started_at is not None)
    repository.update_application(session, application.number, status=step.status, updated_at=at, **changes)
    repository.add_timeline_entry(session, application.number, step.records, at, by, reason)
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
    def create(self, owner: Principal, *, category: str, specialty: str, qualification: dict,
               dataflow_reference: str) -> dict:
        now = self.clock()
        for attempt in range(1, NUMBER_TRIES + 1):
            number = new_application_number()
            try:
                with self.db.transaction() as session:
                    repository.add_application(
                        session, number=number, account_id=owner.id, status=DRAFT, category=category,
                        specialty=specialty, degree=qualification["degree"],
                        institution=qualification["institution"], country=qualification["country"],
                        graduation_year=qualification["year"], dataflow_reference=dataflow_reference,
                        created_at=now, updated_at=now)
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
            self.outbox.publish(session, APPLICATION_SUBMITTED, {
                **request_data(application), "category": application.category,
                "specialty": application.specialty, "submitted_at": isoformat(now)})
            return self._detail(session, repository.application_by_number(session, application.number))

    def withdraw(self, owner: Principal, number: str) -> dict:
        now = self.clock()
        with self.db.transaction() as session:
            application = self._owned(session, owner, number)
            move(session, application, WITHDRAW, by=owner.id, at=now)
            self.outbox.publish(session, APPLICATION_WITHDRAWN, {
                **request_data(application), "previous_status": application.status,
                "withdrawn_at": isoformat(now)})
            return self._detail(session, repository.application_by_number(session, application.number))

    def list_own(self, owner: Principal) -> list[dict]:
        with self.db.transaction() as session:
            return [_summary(row) for row in repository.applications_of(session, owner.id)]

    def read(self, caller: Principal, number: str) -> dict:
        with self.db.transaction() as session:
            application = self._find(session, number)
            if application is None or not may_read(caller.id, caller.roles, application.account_id):
                raise _not_found()
            return self._detail(session, application)

    def public_status(self, number: str) -> dict:
        """Status and last change only: anyone holding the number may ask (R10)."""
        with self.db.transaction() as session:
            application = self._find(session, number)
        if application is None:
            raise _not_found()
        return {"number": application.number, "status": application.status, "updated_at": application.updated_at}

    # --- reviewers --------------------------------------------------------------------------------
    def review_queue(self) -> list[dict]:
        now = self.clock()
        with self.db.transaction() as session:
            rows = repository.review_queue(session)
        return [{**_summary(row), "under_review_at": row.under_review_at,
                 "waiting_seconds": max(0, int((now - row.under_review_at).total_seconds())),
                 "review_started_at": row.review_started_at, "reviewer_id": row.reviewer_id} for row in rows]

    def start_review(self, reviewer: Principal, number: str) -> dict:
        """The reviewer takes the request. Taking it again is harmless; another reviewer cannot."""
        now = self.clock()
        with self.db.transaction() as session:
            application = self._existing(session, number)
            if application.review_started_at is not None and application.reviewer_id == reviewer.id:
                return self._detail(session, application)
            if application.review_started_at is not None:
                raise _taken_by_another(application)
            move(session, application, START_REVIEW, by=reviewer.id, at=now, review_started_at=now,
                 reviewer_id=reviewer.id)
            self.outbox.publish(session, APPLICATION_REVIEW_STARTED, {
                **request_data(application), "reviewer_id": reviewer.id, "started_at": isoformat(now)})
            return self._detail(session, repository.application_by_number(session, application.number))

    def decide(self, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
        """Approve (a membership number is issued) or reject; only by the reviewer who took it."""
        now, action = self.clock(), DECISIONS[decision]
        with self.db.transaction() as session:
            application = self._existing(session, number)
            if application.review_started_at is not None and application.reviewer_id != reviewer.id:
                raise _taken_by_another(application)
            move(session, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now)
            data = {**request_data(application), "decided_at": isoformat(now)}
            if action == APPROVE:
                data["membership_number"] = repository.issue_membership_number(
                    session, application.number, new_membership_number)
                self.outbox.publish(session, APPLICATION_APPROVED, data)
            else:
                self.outbox.publish(session, APPLICATION_REJECTED, {**data, "reason": reason})
            return self._detail(session, repository.application_by_number(session, application.number))

    # --- finding requests -------------------------------------------------------------------------
    @staticmethod
    def _find(session: Session, number: str, for_update: bool = False) -> Row | None:
        normalised = normalise_application_number(number)
        return repository.application_by_number(session, normalised, for_update) if normalised else None

    def _existing(self, session: Session, number: str) -> Row:
        application = self._find(session, number, for_update=True)
        if application is None:
            raise _not_found()
        return application

    def _owned(self, session: Session, owner: Principal, number: str) -> Row:
        # Someone else's request is answered exactly like one that does not exist.
        application = self._find(session, number, for_update=True)
        if application is None or application.account_id != owner.id:
            raise _not_found()
        return application

    @staticmethod
    def _detail(session: Session, application: Row) -> dict:
        return {**_summary(application), "account_id": application.account_id,
                "qualification": {"degree": application.degree, "institution": application.institution,
                                  "country": application.country, "year": application.graduation_year},
                "dataflow_reference": application.dataflow_reference,
                "submitted_at": application.submitted_at, "review_started_at": application.review_started_at,
                "decided_at": application.decided_at,
                "timeline": [{"status": entry.status, "at": entry.at, "by": entry.by, "reason": entry.reason}
                             for entry in repository.timeline_of(session, application.number)]}


def _summary(application: Row) -> dict:
    return {"number": application.number, "status": application.status,
            "membership_number": application.membership_number, "category": application.category,
            "specialty": application.specialty, "created_at": application.created_at,
            "updated_at": application.updated_at}


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no request with this number")


def _taken_by_another(application: Row) -> ApiError:
    return ApiError(409, "taken_by_another_reviewer", "another reviewer has taken this request",
                    {"current_status": application.status, "reviewer_id": application.reviewer_id})
