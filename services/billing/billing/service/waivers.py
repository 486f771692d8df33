"""Exemptions and waivers (R6): an applicant's exemption claim, decided by a reviewer; a
secretary-general's waiver decision. Either waives the fees it names — now, or when the invoices
are issued if the request is still a draft billing does not know."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import Principal, refuse_own_case
from mumaris_shared.contracts import EXEMPTION_DECIDED, FEE_KINDS, WAIVER_GRANTED, Decision

from ..adapters import repository as repo
from ..domain.errors import (
    AlreadyDecided,
    ExemptionExists,
    NoSuch,
    NotYours,
    ReasonRequired,
    RequestClosed,
    WaiverExists,
)
from ..domain.exemptions import WAIVED_BY_EXEMPTION, ExemptionStatus, WaivedBy
from ..domain.invoices import FeeAccountStatus
from .context import Billing, Publish, request_data
from .settlement import waive

CLOSED_FOR_GOOD = (FeeAccountStatus.EXPIRED, FeeAccountStatus.CLOSED)


def claim_exemption(
    b: Billing, principal: Principal, application_number: str, kind: str, evidence_reference: str
) -> Row:
    """An applicant's claim, queued for a reviewer. For a request billing does not know yet
    (still a draft), the claim is bound to the claimant and checked when the request arrives."""
    now = b.clock()
    with b.db.transaction() as session:
        account = repo.fee_account(session, application_number, lock=True)
        if account is not None:
            if account.account_id != principal.id:
                raise NotYours("you may claim an exemption only for your own request")
            if account.status in CLOSED_FOR_GOOD:
                raise RequestClosed(account.status)
        if repo.active_claim(session, application_number, principal.id, kind) is not None:
            raise ExemptionExists()
        return repo.add_exemption(
            session,
            id=repo.new_id(),
            application_number=application_number,
            account_id=principal.id,
            claimant_national_id=principal.national_id,
            kind=kind,
            evidence_reference=evidence_reference,
            status=ExemptionStatus.PENDING,
            claimed_at=now,
        )


def exemptions(b: Billing, status: str | None) -> list[Row]:
    with b.db.transaction() as session:
        return repo.exemptions_by_status(session, status)


def decide_exemption(b: Billing, principal: Principal, exemption_id: str, decision: str, reason: str | None) -> Row:
    if decision == Decision.REJECT and not (reason or "").strip():
        raise ReasonRequired()
    now = b.clock()
    with b.transaction() as (session, publish):
        claimed = repo.exemption(session, exemption_id)
        if claimed is None:
            raise NoSuch("exemption")
        refuse_own_case(principal, "exemption claim", claimed.account_id, claimed.claimant_national_id)
        account = repo.fee_account(session, claimed.application_number, lock=True)
        claimed = repo.exemption(session, exemption_id, lock=True)
        if claimed.status != ExemptionStatus.PENDING:
            raise AlreadyDecided("exemption", claimed.status)
        status = ExemptionStatus.APPROVED if decision == Decision.APPROVE else ExemptionStatus.REJECTED
        repo.update_exemption(
            session, exemption_id, status=status, reason=reason, decided_at=now, decided_by=principal.id
        )
        publish(
            EXEMPTION_DECIDED,
            {
                **request_data(claimed.application_number, claimed.account_id),
                "exemption_id": exemption_id,
                "kind": claimed.kind,
                "decision": decision,
                "reason": reason,
            },
        )
        if status == ExemptionStatus.APPROVED and account is not None:
            waive(
                b, session, publish, account, WAIVED_BY_EXEMPTION[claimed.kind], WaivedBy.EXEMPTION, exemption_id, now
            )
        return repo.exemption(session, exemption_id)


def grant_waiver(
    b: Billing, principal: Principal, application_number: str, decision_number: str, kinds: Sequence[str]
) -> Row:
    """A secretary-general's decision: the fee kinds it names are waived, now or when issued."""
    now = b.clock()
    try:
        with b.transaction() as (session, publish):
            account = repo.fee_account(session, application_number, lock=True)
            if account is not None and account.status in CLOSED_FOR_GOOD:
                raise RequestClosed(account.status)
            if repo.waiver_by_decision(session, application_number, decision_number) is not None:
                raise WaiverExists()
            waiver = repo.add_waiver(
                session,
                id=repo.new_id(),
                application_number=application_number,
                decision_number=decision_number,
                kinds=sorted(set(kinds), key=FEE_KINDS.index),
                granted_by=principal.id,
                granted_at=now,
            )
            if account is not None:
                announce_waiver(session, publish, waiver, account.account_id, now)
                waive(b, session, publish, account, waiver.kinds, WaivedBy.WAIVER, decision_number, now)
            return waiver
    except IntegrityError:
        raise WaiverExists() from None


def announce_waiver(session: Session, publish: Publish, waiver: Row, owner: str, now: datetime) -> None:
    """billing.waiver_granted names the request's owner, so it waits until billing knows them."""
    if waiver.announced_at is not None:
        return
    publish(
        WAIVER_GRANTED,
        {
            **request_data(waiver.application_number, owner),
            "waiver_id": waiver.id,
            "decision_number": waiver.decision_number,
            "kinds": list(waiver.kinds),
        },
    )
    repo.mark_waiver_announced(session, waiver.id, now)
