"""Reviewers' work on requests: the queue, taking a request, recording the Dataflow outcome of its
qualification, classifying it, returning it for corrections, and deciding it. Approving a
registration issues a membership number and starts its licence; approving a renewal extends the
licence it renews."""

from __future__ import annotations

from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_CLASSIFIED,
    APPLICATION_REJECTED,
    APPLICATION_RETURNED,
    APPLICATION_REVIEW_STARTED,
    DATAFLOW_RECORDED,
)
from mumaris_shared.events import isoformat

from ..adapters import licensing, repository
from ..domain.errors import AlreadyClassified, TakenByAnotherReviewer
from ..domain.lifecycle import (
    APPROVE,
    CLASSIFY,
    DECISIONS,
    RECORD_DATAFLOW,
    RENEW,
    RENEWAL,
    RETURN,
    START_REVIEW,
    licence_transition,
    transition,
)
from ..domain.numbers import new_membership_number
from ..domain.review import approval_needs_fees_settled, approval_needs_verified_qualification
from ..domain.updates import fields_changed
from .context import Applications, detail, existing, move, not_their_own, request_data, summary


def review_queue(a: Applications, accounts: list[str] | None = None) -> list[dict]:
    """Requests and data updates under review, longest waiting first; `kind` tells them apart.
    Given `accounts`, only those of these applicants (the portal's search by name or national ID,
    which accounts resolves to account ids)."""
    now = a.clock()
    with a.db.reading() as session:
        requests, updates = repository.review_queue(session), repository.update_queue(session)
    entries = [
        {
            **summary(row),
            "account_id": row.account_id,
            "request_kind": row.kind,
            "kind": "application",
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
            "account_id": row.account_id,
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
    if accounts is not None:
        entries = [entry for entry in entries if entry["account_id"] in accounts]
    entries.sort(key=lambda entry: entry["under_review_at"])  # stable: requests first at the same moment
    for entry in entries:
        entry["waiting_seconds"] = max(0, int((now - entry["under_review_at"]).total_seconds()))
    return entries


def taken(session: Session, reviewer: Principal, number: str) -> Row:
    """The request, locked; refused when it is the reviewer's own (auth.refuse_own_case), or
    another reviewer has taken it (the table refuses one nobody has taken yet)."""
    application = existing(session, number)
    not_their_own(reviewer, application, "request")
    if application.review_started_at is not None and application.reviewer_id != reviewer.id:
        raise TakenByAnotherReviewer("request", application.status, application.reviewer_id)
    return application


def start_review(a: Applications, reviewer: Principal, number: str) -> dict:
    """The reviewer takes the request. Taking it again is harmless; another reviewer cannot."""
    now = a.clock()
    with a.db.transaction() as session:
        application = taken(session, reviewer, number)
        if application.review_started_at is not None:
            return detail(session, application)
        move(session, application, START_REVIEW, by=reviewer.id, at=now, review_started_at=now, reviewer_id=reviewer.id)
        a.outbox.publish(
            session,
            APPLICATION_REVIEW_STARTED,
            {**request_data(application), "reviewer_id": reviewer.id, "started_at": isoformat(now)},
        )
        return detail(session, repository.application_by_number(session, application.number))


def record_dataflow(a: Applications, reviewer: Principal, number: str, outcome: str, note: str | None) -> dict:
    """The primary-source verification of the request's qualification: verified or a discrepancy."""
    now = a.clock()
    with a.db.transaction() as session:
        application = taken(session, reviewer, number)
        move(
            session,
            application,
            RECORD_DATAFLOW,
            by=reviewer.id,
            at=now,
            reason=note,
            dataflow_outcome=outcome,
            dataflow_note=note,
            dataflow_recorded_at=now,
        )
        a.outbox.publish(
            session,
            DATAFLOW_RECORDED,
            {**request_data(application), "outcome": outcome, "note": note, "recorded_at": isoformat(now)},
        )
        return detail(session, repository.application_by_number(session, application.number))


def classify(a: Applications, reviewer: Principal, number: str, category: str) -> dict:
    """The final professional classification, once. A category other than the one applied for may
    change the category fee: billing invoices or refunds the difference and says when nothing more
    is owed (`billing.fees_settled`); until then the request cannot be approved."""
    now = a.clock()
    with a.db.transaction() as session:
        application = taken(session, reviewer, number)
        transition(CLASSIFY, application.status, application.review_started_at is not None)
        if application.classified_at is not None:
            raise AlreadyClassified(application.category)
        changed = category != application.category
        move(
            session,
            application,
            CLASSIFY,
            by=reviewer.id,
            at=now,
            reason=f"{application.category} → {category}",
            category=category,
            applied_category=application.category,
            classified_at=now,
            fees_outstanding_since=now if changed else None,
        )
        a.outbox.publish(
            session,
            APPLICATION_CLASSIFIED,
            {
                **request_data(application),
                "kind": application.kind,
                "previous_category": application.category,
                "category": category,
                "classified_at": isoformat(now),
            },
        )
        return detail(session, repository.application_by_number(session, application.number))


def return_for_corrections(a: Applications, reviewer: Principal, number: str, reason: str, items: list[str]) -> dict:
    """Back to the applicant, naming what to correct; sent again (no new fees) by the correction
    deadline, or cancelled."""
    now = a.clock()
    correct_by = now + a.settings.correction_deadline
    with a.db.transaction() as session:
        application = taken(session, reviewer, number)
        move(
            session,
            application,
            RETURN,
            by=reviewer.id,
            at=now,
            reason=reason,
            returned_at=now,
            correct_by=correct_by,
            return_reason=reason,
            return_items=items,
        )
        a.outbox.publish(
            session,
            APPLICATION_RETURNED,
            {
                **request_data(application),
                "reason": reason,
                "items": items,
                "returned_at": isoformat(now),
                "correct_by": isoformat(correct_by),
            },
        )
        return detail(session, repository.application_by_number(session, application.number))


def decide(a: Applications, reviewer: Principal, number: str, decision: str, reason: str | None) -> dict:
    """Approve (needs the qualification verified and no fee difference outstanding) or reject;
    only by the reviewer who took it."""
    now, action = a.clock(), DECISIONS[decision]
    with a.db.transaction() as session:
        application = taken(session, reviewer, number)
        transition(action, application.status, application.review_started_at is not None)
        if action == APPROVE:
            approval_needs_verified_qualification(application.dataflow_outcome)
            approval_needs_fees_settled(application.fees_outstanding_since is not None)
        move(session, application, action, by=reviewer.id, at=now, reason=reason, decided_at=now)
        data = {**request_data(application), "decided_at": isoformat(now)}
        if action == APPROVE:
            a.outbox.publish(session, APPLICATION_APPROVED, {**data, **_licence_granted(a, session, application)})
        else:
            a.outbox.publish(session, APPLICATION_REJECTED, {**data, "reason": reason})
        return detail(session, repository.application_by_number(session, application.number))


def _licence_granted(a: Applications, session: Session, application: Row) -> dict:
    """What an approval does to the licence: a registration's starts (with a new membership
    number), a renewal's is extended. Answers the approval event's licence fields."""
    now, policy = a.clock(), a.settings.licences
    if application.kind == RENEWAL:
        licence = licensing.licence(session, application.renews, for_update=True)
        step = licence_transition(RENEW, licence.status)
        valid_from, valid_until = max(licence.valid_until, now), policy.renewed_until(licence.valid_until, now)
        licensing.update_licence(
            session,
            licence.membership_number,
            status=step.status,
            category=application.category,
            valid_from=valid_from,
            valid_until=valid_until,
            reminders_sent=[],
            next_check_at=policy.first_check_at(valid_from, valid_until),
            renewals=licence.renewals + 1,
        )
        membership_number = licence.membership_number
    else:
        membership_number = repository.issue_membership_number(session, application.number, new_membership_number)
        valid_until = policy.first_valid_until(now)
        licensing.add_licence(
            session,
            membership_number=membership_number,
            application_number=application.number,
            account_id=application.account_id,
            category=application.category,
            status=policy.status_at(valid_until, now),
            valid_from=now,
            valid_until=valid_until,
            reminders_sent=[],
            next_check_at=policy.first_check_at(now, valid_until),
        )
    return {"membership_number": membership_number, "kind": application.kind, "valid_until": isoformat(valid_until)}
