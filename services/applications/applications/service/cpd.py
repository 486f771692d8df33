"""CPD activities of a licence: its holder records them (with an optional certificate, a document
attached to the activity), a reviewer accepts or rejects each; the hours that count towards a
renewal (domain/cpd.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.engine import Row

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import CPD_ACTIVITY_DECIDED, CPD_ACTIVITY_RECORDED, Decision
from mumaris_shared.db import Reader
from mumaris_shared.errors import Invalid
from mumaris_shared.events import isoformat

from ..adapters import licensing, repository
from ..domain.cpd import Activity, CpdStatus, hours_counted, shortfall, took_place
from ..domain.errors import ActivityAlreadyDecided, CpdHoursMissing, NoSuchActivity
from .context import Applications, owned_membership, request_data, visible_membership


def cpd_hours(a: Applications, session: Reader, licence: Row) -> tuple[Decimal, Decimal]:
    """(hours counted in the licence's current period, hours its category requires)."""
    activities = [
        Activity(row.on, Decimal(row.hours), row.status)
        for row in licensing.activities_of(session, licence.membership_number)
    ]
    counted = hours_counted(activities, licence.valid_from.date(), licence.valid_until.date())
    return counted, a.settings.cpd.required(licence.category)


def check_cpd_hours(a: Applications, session: Reader, licence: Row) -> None:
    """A renewal needs the category's CPD hours of the licence's period (422 cpd_hours_missing)."""
    counted, required = cpd_hours(a, session, licence)
    missing = shortfall(counted, required)
    if missing:
        raise CpdHoursMissing(str(counted), str(required), str(missing))


def licence_event(licence: Row, application: Row) -> dict:
    """What every licence event says (contracts.LicenceData)."""
    return {
        **request_data(application),
        "membership_number": licence.membership_number,
        "valid_until": isoformat(licence.valid_until),
    }


def record(a: Applications, owner: Principal, membership_number: str, body: dict) -> Row:
    now = a.clock()
    try:
        took_place(body["date"], now.date())
    except ValueError as exc:
        raise Invalid(str(exc), {"date": [str(exc)]}) from None
    with a.db.transaction() as session:
        application = owned_membership(session, owner, membership_number)
        licence = licensing.licence(session, application.membership_number)
        activity_id = str(uuid.uuid4())
        licensing.add_activity(
            session,
            id=activity_id,
            membership_number=licence.membership_number,
            account_id=owner.id,
            title=body["title"],
            provider=body["provider"],
            on=body["date"],
            hours=body["hours"],
            status=CpdStatus.PENDING,
            recorded_at=now,
        )
        a.outbox.publish(
            session,
            CPD_ACTIVITY_RECORDED,
            {
                **licence_event(licence, application),
                "activity_id": activity_id,
                "title": body["title"],
                "hours": str(body["hours"]),
            },
        )
        return licensing.activity(session, activity_id)


def activities(a: Applications, caller: Principal, membership_number: str) -> list[Row]:
    with a.db.reading() as session:
        application = visible_membership(session, caller, membership_number)
        return licensing.activities_of(session, application.membership_number)


def queue(a: Applications) -> list[Row]:
    """Activities waiting for a reviewer, oldest first."""
    with a.db.reading() as session:
        return licensing.activities_by_status(session, CpdStatus.PENDING)


def decide(a: Applications, reviewer: Principal, activity_id: str, decision: str, reason: str | None) -> Row:
    now = a.clock()
    with a.db.transaction() as session:
        found = licensing.activity(session, activity_id, for_update=True)
        if found is None:
            raise NoSuchActivity()
        if found.status != CpdStatus.PENDING:
            raise ActivityAlreadyDecided(found.status)
        status = CpdStatus.ACCEPTED if decision == Decision.APPROVE else CpdStatus.REJECTED
        licensing.update_activity(
            session, activity_id, status=status, decided_at=now, decided_by=reviewer.id, reason=reason
        )
        licence = licensing.licence(session, found.membership_number)
        application = repository.application_by_number(session, licence.application_number)
        a.outbox.publish(
            session,
            CPD_ACTIVITY_DECIDED,
            {
                **licence_event(licence, application),
                "activity_id": activity_id,
                "title": found.title,
                "hours": str(found.hours),
                "decision": decision,
                "reason": reason,
            },
        )
        return licensing.activity(session, activity_id)
