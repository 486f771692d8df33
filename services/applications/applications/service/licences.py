"""The licence an approval grants: its holder's (and staff's) view with its CPD hours, a renewal
request opened by its holder, the registration card, and the public register anyone may search."""

from __future__ import annotations

from sqlalchemy.engine import Row

from mumaris_shared.auth import Principal

from ..adapters import licensing, repository
from ..adapters.card import Card, render_card
from ..domain.errors import NoSuchMembership, RenewalAlreadyOpen
from ..domain.lifecycle import RENEWAL, REQUEST_RENEWAL, licence_transition
from ..domain.numbers import normalise_membership_number
from .context import Applications, owned_membership, visible_membership
from .cpd import check_cpd_hours, cpd_hours
from .requests import add_request
from .updates import update_detail


def licence_view(a: Applications, session, licence: Row) -> dict:
    counted, required = cpd_hours(a, session, licence)
    return {
        "licence_status": licence.status,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "renewal_opens_at": a.settings.licences.renewal_opens_at(licence.valid_until),
        "renewals": licence.renewals,
        "classification": licence.category,
        "cpd_hours_counted": str(counted),
        "cpd_hours_required": str(required),
    }


def read_membership(a: Applications, caller: Principal, membership_number: str) -> dict:
    """The licence and the membership's current data, its previous versions and updates: owner or staff."""
    with a.db.reading() as session:
        application = visible_membership(session, caller, membership_number)
        history = repository.versions_of(session, application.number)
        renewal = licensing.open_renewal(session, application.membership_number)
        return {
            "membership_number": application.membership_number,
            "number": application.number,
            "account_id": application.account_id,
            "status": application.status,
            "category": application.category,
            "version": len(history) + 1,
            **repository.membership_data(application),
            **licence_view(a, session, licensing.licence(session, application.membership_number)),
            "open_renewal": renewal.number if renewal else None,
            "history": history,
            "updates": [update_detail(row) for row in repository.data_updates_of(session, application.number)],
        }


def open_renewal(a: Applications, owner: Principal, membership_number: str) -> dict:
    """A renewal request (a draft, sent and paid like any other) of a licence inside its renewal
    window or lapsed, with the CPD hours its category requires; one open at a time."""
    with a.db.transaction() as session:
        application = owned_membership(session, owner, membership_number)
        licence = licensing.licence(session, application.membership_number, for_update=True)
        licence_transition(REQUEST_RENEWAL, licence.status)
        already = licensing.open_renewal(session, licence.membership_number)
        if already is not None:
            raise RenewalAlreadyOpen(already.number)
        check_cpd_hours(a, session, licence)
    return add_request(
        a,
        owner,
        kind=RENEWAL,
        renews=licence.membership_number,
        category=licence.category,
        specialty=application.specialty,
        degree=application.degree,
        institution=application.institution,
        country=application.country,
        graduation_year=application.graduation_year,
        dataflow_reference=application.dataflow_reference,
        # The licence's qualification was verified when it was granted; a renewal carries it.
        dataflow_outcome=application.dataflow_outcome,
        dataflow_note=application.dataflow_note,
        dataflow_recorded_at=application.dataflow_recorded_at,
    )


def card(a: Applications, owner: Principal, membership_number: str) -> bytes:
    """The holder's registration card, a PDF."""
    with a.db.transaction() as session:
        application = owned_membership(session, owner, membership_number)
        licence = licensing.licence(session, application.membership_number)
        name = licensing.holder_name(session, application.account_id)
    return render_card(
        Card(
            full_name=name or "",
            membership_number=licence.membership_number,
            classification=licence.category,
            specialty=application.specialty,
            valid_until=licence.valid_until,
            licence_status=licence.status,
            verify_url=f"{a.settings.public_url}/verify/{licence.membership_number}",
        )
    )


def _entry(row: Row) -> dict:
    return {
        "membership_number": row.membership_number,
        "full_name": row.full_name,
        "classification": row.category,
        "specialty": row.specialty,
        "licence_status": row.status,
        "valid_until": row.valid_until,
    }


def register_entry(a: Applications, membership_number: str) -> dict:
    """Anyone: a practitioner by membership number — the listed fields and nothing more."""
    normalised = normalise_membership_number(membership_number)
    with a.db.reading() as session:
        row = normalised and licensing.register_entry(session, normalised)
    if not row:
        raise NoSuchMembership()
    return _entry(row)


def register_search(a: Applications, name: str, specialty: str, page: int, per_page: int) -> dict:
    """Anyone: practitioners by a part of their name and their specialty, a page at a time."""
    with a.db.reading() as session:
        total, rows = licensing.register_search(session, name, specialty, (page - 1) * per_page, per_page)
    return {"items": [_entry(row) for row in rows], "page": page, "per_page": per_page, "total": total}
