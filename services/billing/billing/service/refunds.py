"""Refunds by the policy (domain/refunds.py): a claim or a withdrawal decided by the named rules
where they can, queued for a reviewer where they cannot; claims re-decided as billing learns more
about the request; a reviewer's decision. One refund record per fee."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.auth import STAFF_ROLES, Principal
from mumaris_shared.contracts import Decision

from ..adapters import repository as repo
from ..domain import refunds as rf
from ..domain.errors import (
    AlreadyDecided,
    AmountExceedsPaid,
    AmountNotAllowed,
    InvoiceNotPaid,
    NoSuch,
    NotYours,
    ReasonRequired,
)
from ..domain.invoices import FeeAccountStatus, InvoiceStatus
from ..domain.refunds import RefundOrigin, RefundStatus, RequestState
from .context import BY_RULES, Billing, Publish, visible_to
from .settlement import announce_refund, classification_key, full_key, policy_key


def request_state(account: Row) -> RequestState:
    """The request as billing knows it, for the refund policy."""
    if account.decision is not None:
        return RequestState(account.decision)  # approved | rejected
    if account.withdrawn_at is not None:
        return RequestState.WITHDRAWN
    return {FeeAccountStatus.EXPIRED: RequestState.EXPIRED, FeeAccountStatus.SETTLED: RequestState.SETTLED}.get(
        account.status, RequestState.OPEN
    )


def facts(session: Session, account: Row, invoice: Row, now: datetime, lowered_by: int = 0) -> rf.RefundFacts:
    paid = repo.payment(session, invoice.paid_by_payment)
    return rf.RefundFacts(
        fee_kind=invoice.kind,
        amount_paid=paid.amount_halalas if paid else invoice.amount_halalas,
        paid_at=invoice.paid_at,
        request_state=request_state(account),
        now=now,
        withdrawn_at=account.withdrawn_at,
        review_started_at=account.review_started_at,
        decided_at=account.decided_at,
        lowered_by=lowered_by,
    )


def refund_of_fee(session: Session, invoice: Row) -> Row | None:
    """The refund already recorded for the fee paid for `invoice`: a full refund of its payment
    (exemption or waiver after payment) if there is one, else the policy's (a claim's or a
    withdrawal's)."""
    found = repo.refund_by_key(session, full_key(invoice.paid_by_payment)) if invoice.paid_by_payment else None
    return found or repo.refund_by_key(session, policy_key(invoice.id))


def _policy_refund(
    b: Billing,
    session: Session,
    publish: Publish,
    account: Row,
    invoice: Row,
    now: datetime,
    origin: RefundOrigin,
    claimed_by: str | None = None,
    claim_reason: str | None = None,
    lowered_by: int = 0,
) -> Row:
    """Decide the fee paid for `invoice` by the policy, record the decision and announce it."""
    decision = b.settings.refunds.decide(facts(session, account, invoice, now, lowered_by))
    decided = decision.status != RefundStatus.PENDING_REVIEW
    refund = repo.add_refund(
        session,
        id=repo.new_id(),
        invoice_id=invoice.id,
        application_number=invoice.application_number,
        account_id=invoice.account_id,
        payment_id=invoice.paid_by_payment,
        amount_halalas=decision.amount_halalas,
        rule=decision.rule,
        status=decision.status,
        created_at=now,
        decided_at=now if decided else None,
        decided_by=BY_RULES if decided else None,
        dedupe_key=classification_key(invoice.id) if origin == RefundOrigin.CLASSIFICATION else policy_key(invoice.id),
        origin=origin,
        claimed_by=claimed_by,
        claim_reason=claim_reason,
        decide_by=b.settings.refunds.decide_by(now),
    )
    announce_refund(b, publish, refund)
    return refund


def refund_classification_difference(
    b: Billing, session: Session, publish: Publish, account: Row, invoice: Row, lowered_by: int, now: datetime
) -> None:
    """A reviewer's classification lowered the fee paid for `invoice` by `lowered_by`: the policy
    (its `classification_lowered` rule) gives the difference back, once per fee."""
    if repo.refund_by_key(session, classification_key(invoice.id)) is None:
        _policy_refund(b, session, publish, account, invoice, now, RefundOrigin.CLASSIFICATION, lowered_by=lowered_by)


def evaluate_withdrawal(b: Billing, session: Session, publish: Publish, account: Row, now: datetime) -> None:
    """Each paid fee of a withdrawn request, by the policy: recorded (refused ones too, so the
    applicant is told the rule) and announced, once — a fee already decided is left alone."""
    for invoice in repo.invoices_of(session, account.application_number):
        if invoice.status == InvoiceStatus.PAID and refund_of_fee(session, invoice) is None:
            _policy_refund(b, session, publish, account, invoice, now, RefundOrigin.WITHDRAWAL)
    decide_pending_claims(b, session, publish, account, now)


def decide_pending_claims(b: Billing, session: Session, publish: Publish, account: Row, now: datetime) -> None:
    """Billing learned a fact about the request (withdrawn, taken for review, decided). Claims
    waiting for a reviewer that the rules can now decide are decided by them (and announced).
    A refusal the rules made earlier is refined to the rule that now applies first (taken for
    review, then decided: `review_started` becomes `request_decided`): facts only accumulate, so
    it stays a refusal of 0 — not a new decision, nothing announced."""
    for refund in repo.refunds_of(session, account.application_number):
        by_rules_refused = refund.status == RefundStatus.REJECTED and refund.decided_by == BY_RULES
        if refund.origin == RefundOrigin.OVER_PAYMENT or not (
            refund.status == RefundStatus.PENDING_REVIEW or by_rules_refused
        ):
            continue
        invoice = repo.invoice(session, refund.invoice_id)
        if invoice.status != InvoiceStatus.PAID:
            continue
        decision = b.settings.refunds.decide(facts(session, account, invoice, now))
        if by_rules_refused:
            if decision.status == RefundStatus.REJECTED and decision.rule != refund.rule:
                repo.update_refund(session, refund.id, rule=decision.rule)
            continue
        if decision.status == RefundStatus.PENDING_REVIEW:
            continue
        repo.update_refund(
            session,
            refund.id,
            status=decision.status,
            amount_halalas=decision.amount_halalas,
            rule=decision.rule,
            decided_at=now,
            decided_by=BY_RULES,
        )
        announce_refund(b, publish, repo.refund(session, refund.id))


def claim_refund(b: Billing, principal: Principal, invoice_id: str, reason: str) -> tuple[int, Row]:
    """The invoice's owner claims its fee back: decided at once by the policy when it can, else
    queued for a reviewer. One refund per invoice: a repeated claim answers the refund already
    recorded for it (200), creating nothing."""
    now = b.clock()
    try:
        with b.transaction() as (session, publish):
            invoice = repo.invoice(session, invoice_id)
            if invoice is None:
                raise NoSuch("invoice")
            if invoice.account_id != principal.id:
                raise NotYours("this invoice is not yours")
            account = repo.fee_account(session, invoice.application_number, lock=True)
            invoice = repo.invoice(session, invoice_id)  # as it is now that no one else changes it
            existing = refund_of_fee(session, invoice)
            if existing is not None:
                return 200, repo.refund(session, existing.id)
            if invoice.status != InvoiceStatus.PAID:
                raise InvoiceNotPaid(invoice.status)
            refund = _policy_refund(
                b,
                session,
                publish,
                account,
                invoice,
                now,
                RefundOrigin.CLAIM,
                claimed_by=principal.id,
                claim_reason=reason,
            )
            return 201, repo.refund(session, refund.id)
    except IntegrityError:
        # The same claim, made concurrently (or the withdrawal evaluated meanwhile): one refund.
        with b.db.transaction() as session:
            existing = refund_of_fee(session, repo.invoice(session, invoice_id))
            if existing is None:
                raise
            return 200, repo.refund(session, existing.id)


def refunds(b: Billing, principal: Principal, application_number: str | None, status: str | None) -> list[Row]:
    """A request's refunds (its owner or staff), or — staff only — every refund (in `status`, when
    named), oldest first (`pending_review`: the reviewers' queue)."""
    with b.db.transaction() as session:
        if application_number is not None:
            visible_to(principal, repo.fee_account(session, application_number), "request")
            return [
                row for row in repo.refunds_of(session, application_number) if status is None or row.status == status
            ]
        if not principal.has_role(*STAFF_ROLES):
            raise NotYours("only staff list refunds across requests; name an application")
        return repo.refunds_by_status(session, status)


def refund(b: Billing, principal: Principal, refund_id: str) -> Row:
    with b.db.transaction() as session:
        return visible_to(principal, repo.refund(session, refund_id), "refund")


def decide_refund(
    b: Billing, principal: Principal, refund_id: str, decision: str, reason: str | None, amount_halalas: int | None
) -> Row:
    """A reviewer decides a claim the rules could not: approve (by default the amount claimed —
    the whole fee paid — or less) or reject with a reason."""
    if decision == Decision.REJECT and not (reason or "").strip():
        raise ReasonRequired()
    if decision == Decision.REJECT and amount_halalas is not None:
        raise AmountNotAllowed("an amount goes only with an approval", "only to approve")
    now = b.clock()
    with b.transaction() as (session, publish):
        found = repo.refund(session, refund_id)
        if found is None:
            raise NoSuch("refund")
        repo.fee_account(session, found.application_number, lock=True)
        found = repo.refund(session, refund_id, lock=True)
        if found.status != RefundStatus.PENDING_REVIEW:
            raise AlreadyDecided("refund", found.status, rule=found.rule)
        if decision == Decision.APPROVE:
            paid = repo.payment(session, found.payment_id).amount_halalas
            amount = found.amount_halalas if amount_halalas is None else amount_halalas
            if amount > paid:
                raise AmountExceedsPaid(paid)
            status = RefundStatus.APPROVED
        else:
            amount, status = 0, RefundStatus.REJECTED
        repo.update_refund(
            session,
            refund_id,
            status=status,
            amount_halalas=amount,
            rule=rf.REVIEWER_DECISION,
            reason=reason,
            decided_at=now,
            decided_by=principal.id,
        )
        decided = repo.refund(session, refund_id)
        announce_refund(b, publish, decided)
        return decided
