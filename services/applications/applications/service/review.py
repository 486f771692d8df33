"""Reviewers: the queue of requests and data updates under review, taking a request, deciding it
(approved: a membership number is issued; rejected: with a reason)."""

from __future__ import annotations

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import APPLICATION_APPROVED, APPLICATION_REJECTED, APPLICATION_REVIEW_STARTED
from mumaris_shared.events import isoformat

from ..adapters import repository
from ..domain.errors import TakenByAnotherReviewer
from ..domain.lifecycle import APPROVE, DECISIONS, START_REVIEW
from ..domain.numbers import new_membership_number
from ..domain.updates import fields_changed
from .context import Applications, detail, existing, move, not_their_own, request_data, summary


def review_queue(a: Applications) -> list[dict]:
    """Requests and data updates under review, longest waiting first; `kind` tells them apart."""
    now = a.clock()
    with a.db.transaction() as session:
        requests, updates = repository.review_queue(session), repository.update_queue(session)
    entries = [
        {
            "kind": "application",
            **summary(row),
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


def start_review(a: Applications, reviewer: Principal, number: str) -> dict:
    """The reviewer takes the request. Taking it again is harmless; another reviewer cannot."""
    now = a.clock()
    with a.db.transaction() as session:
        application = existing(session, number)
        not_their_own(reviewer, application, "request")
        if application.review_started_at is not None and application.reviewer_id == reviewer.id:
            return detail(session, application)
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
        a.outbox.publish(
            session,
            APPLICATION_REVIEW_STARTED,
            {**request_data(application), "reviewer_id": reviewer.id, "started_at": isoformat(now)},
        )
        return detail(session, repository.application_by_number(session, application.number))


def decide(a: Applications, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
    """Approve (a membership number is issued) or reject; only by the reviewer who took it."""
    now, action = a.clock(), DECISIONS[decision]
    with a.db.transaction() as session:
        application = existing(session, number)
        not_their_own(reviewer, application, "request")
        if application.review_started_at is not None and application.reviewer_id != reviewer.id:
            raise TakenByAnotherReviewer("request", application.status, application.reviewer_id)
        move(session, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now)
        data = {**request_data(application), "decided_at": isoformat(now)}
        if action == APPROVE:
            data["membership_number"] = repository.issue_membership_number(
                session, application.number, new_membership_number
            )
            a.outbox.publish(session, APPLICATION_APPROVED, data)
        else:
            a.outbox.publish(session, APPLICATION_REJECTED, {**data, "reason": reason})
        return detail(session, repository.application_by_number(session, application.number))
