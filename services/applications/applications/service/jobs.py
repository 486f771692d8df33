"""The scheduler's work, in batches it claims (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so any
number of schedulers run side by side and each item is handled by one of them, once: licences
entering their renewal window, their reminders and their expiry; returned requests whose
correction deadline passed (cancelled like unpaid ones)."""

from __future__ import annotations

from mumaris_shared.contracts import APPLICATION_CANCELLED, LICENCE_EXPIRED, LICENCE_REMINDER_DUE
from mumaris_shared.db import claim
from mumaris_shared.events import isoformat

from ..adapters import licensing, repository
from ..adapters.orm import licences_table
from ..domain.lifecycle import (
    ACTIVE,
    ENTER_RENEWAL_WINDOW,
    EXPIRE_CORRECTIONS,
    EXPIRING,
    LAPSE,
    SYSTEM,
    licence_transition,
)
from .context import Applications, move, request_data
from .cpd import licence_event

CORRECTION_DEADLINE_PASSED = "correction_deadline_passed"


def run_licences(a: Applications) -> int:
    """One batch of licences whose next reminder, renewal window or end has come."""
    now, policy, table = a.clock(), a.settings.licences, licences_table
    with a.db.transaction() as session:
        claimed = claim(
            session,
            a.db,
            table,
            table.c.status.in_((ACTIVE, EXPIRING)),
            table.c.next_check_at <= now,
            order_by=table.c.next_check_at,
            limit=a.settings.scheduler_batch,
        )
        for licence in claimed:
            application = repository.application_by_number(session, licence.application_number)
            step = policy.step(licence.valid_from, licence.valid_until, set(licence.reminders_sent), now)
            if step.ended:
                lapsed = licence_transition(LAPSE, licence.status)
                licensing.update_licence(session, licence.membership_number, status=lapsed.status, next_check_at=None)
                a.outbox.publish(
                    session, LICENCE_EXPIRED, {**licence_event(licence, application), "expired_at": isoformat(now)}
                )
                continue
            status = licence.status
            if status == ACTIVE and policy.status_at(licence.valid_until, now) == EXPIRING:
                status = licence_transition(ENTER_RENEWAL_WINDOW, status).status
            if step.remind is not None:
                a.outbox.publish(
                    session,
                    LICENCE_REMINDER_DUE,
                    {
                        **licence_event(licence, application),
                        "before_expiry": step.remind.name,
                        "licence_status": status,
                    },
                )
            licensing.update_licence(
                session,
                licence.membership_number,
                status=status,
                next_check_at=step.next_check_at,
                reminders_sent=[*licence.reminders_sent, *step.mark_sent],
            )
        return len(claimed)


def run_correction_deadlines(a: Applications) -> int:
    """One batch of returned requests not sent again by their correction deadline: cancelled."""
    now = a.clock()
    with a.db.transaction() as session:
        claimed = repository.returned_past_deadline(session, a.db, now, a.settings.scheduler_batch)
        for application in claimed:
            move(session, application, EXPIRE_CORRECTIONS, by=SYSTEM, at=now, reason=CORRECTION_DEADLINE_PASSED)
            a.outbox.publish(
                session,
                APPLICATION_CANCELLED,
                {**request_data(application), "reason": CORRECTION_DEADLINE_PASSED, "cancelled_at": isoformat(now)},
            )
        return len(claimed)
