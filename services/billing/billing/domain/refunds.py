"""The refund policy (R7–R9): one table of named rules, tried in order; the first that decides a
claim gives its answer, and its name is the `rule` the applicant is told.

| order | rule | decides |
|---|---|---|
| 1 | `administrative_fee_not_refundable` | the administrative fee: never refunded (R8) |
| 2 | `classification_lowered` | a reviewer classified the request in a category whose fee is lower: |
|   |                          | the difference, at most what was paid (asked by billing, not claimed) |
| 3 | `request_decided` | the request was approved or rejected: nothing (R7) |
| 4 | `review_started` | a reviewer had taken the request: the service was rendered, nothing (R8) |
| 5 | `withdrawn_within_window` | withdrawn at most `window` (P30D) after paying, before review: |
|   |                           | `share` (50 %) of the fee (R9) |
| 6 | `refund_window_passed` | withdrawn later than that: nothing (R9) |
| 7 | `needs_review` | anything else (a service fee of a request still active, or one that expired |
|   |                | unsettled): a reviewer decides |

Over-payments (a duplicate payment, a capture after cancellation, an exemption or waiver after the
fee was paid) are not claims: they are refunded in full at once (domain/invoices.py).

Amounts are integer halalas: the share is taken of what was paid and **rounded down** to a whole
halala, so a refund never exceeds the share (0.5 × 90 001 → 45 000).

Every claim is decided by `decide_by` = its creation + `decision_sla` (P15D); one still undecided
`escalate_before` (P3D) before that is escalated, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from mumaris_shared.contracts import FeeKind


class RefundStatus(StrEnum):
    """pending_review → approved | rejected; approved → paying → paid (or payout_failed)."""

    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAYING = "paying"
    PAID = "paid"
    PAYOUT_FAILED = "payout_failed"


class RequestState(StrEnum):
    """The request as billing knows it (from the events of applications and its own deadline)."""

    OPEN = "open"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class RefundOrigin(StrEnum):
    """Where a refund record came from."""

    CLAIM = "claim"
    WITHDRAWAL = "withdrawal"
    OVER_PAYMENT = "over_payment"
    CLASSIFICATION = "classification"  # the reviewer's classification lowered the fee


# The rule a reviewer's decision of a `needs_review` claim is recorded under (not a policy rule).
REVIEWER_DECISION = "reviewer_decision"


@dataclass(frozen=True)
class RefundFacts:
    """What billing knows when it decides: the fee, when it was paid, and the request."""

    fee_kind: str  # administrative | service
    amount_paid: int  # halalas
    paid_at: datetime
    request_state: RequestState
    now: datetime
    withdrawn_at: datetime | None = None
    review_started_at: datetime | None = None
    decided_at: datetime | None = None
    # How much lower the fee is since a reviewer classified the request (0: not lowered).
    lowered_by: int = 0

    def if_withdrawn(self, at: datetime) -> RefundFacts:
        """The same facts had the applicant withdrawn the request at `at`: what the refund preview
        judges. A decided or already withdrawn request stays as it is."""
        if self.request_state in (RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN):
            return self
        return replace(self, request_state=RequestState.WITHDRAWN, withdrawn_at=at, now=at)


@dataclass(frozen=True)
class RefundDecision:
    rule: str
    status: RefundStatus  # approved | rejected | pending_review
    amount_halalas: int  # what is paid back if approved (for pending_review: what is claimed)


@dataclass(frozen=True)
class RefundPolicy:
    window: timedelta = timedelta(days=30)  # BILLING_REFUND_WINDOW
    share: Decimal = Decimal("0.5")  # BILLING_REFUND_SHARE
    decision_sla: timedelta = timedelta(days=15)  # BILLING_REFUND_DECISION_SLA
    escalate_before: timedelta = timedelta(days=3)  # BILLING_REFUND_ESCALATE_BEFORE

    def __post_init__(self) -> None:
        object.__setattr__(self, "share", Decimal(str(self.share)))
        if not Decimal(0) <= self.share <= Decimal(1):
            raise ValueError("BILLING_REFUND_SHARE must be between 0 and 1")
        if self.window < timedelta(0) or self.decision_sla <= timedelta(0) or self.escalate_before < timedelta(0):
            raise ValueError("refund durations must not be negative (and the decision SLA must be positive)")

    def decide(self, facts: RefundFacts) -> RefundDecision:
        for _name, rule in RULES:
            decision = rule(self, facts)
            if decision is not None:
                return decision
        raise AssertionError("needs_review decides every claim")  # pragma: no cover

    def share_of(self, amount_halalas: int) -> int:
        """`share` of an amount, rounded down to a whole halala."""
        return int((self.share * amount_halalas).to_integral_value(rounding=ROUND_DOWN))

    def decide_by(self, claimed_at: datetime) -> datetime:
        return claimed_at + self.decision_sla

    def escalation_horizon(self, now: datetime) -> datetime:
        """A claim still undecided is escalated once its limit is within `escalate_before` of now:
        it is due when its `decide_by` is at or before this moment (the scheduler's query)."""
        return now + self.escalate_before

    def due_for_escalation(self, decide_by: datetime, now: datetime) -> bool:
        return decide_by <= self.escalation_horizon(now)


# --- the rules, in order ----------------------------------------------------------------------------
Rule = Callable[[RefundPolicy, RefundFacts], "RefundDecision | None"]
RULES: list[tuple[str, Rule]] = []


Outcome = tuple[RefundStatus, int] | None  # what a rule says: a status and an amount, or nothing


def rule(name: str) -> Callable[[Callable[[RefundPolicy, RefundFacts], Outcome]], Rule]:
    """Register the function as the next rule, under `name` (the `rule` a decision is told by)."""

    def register(function: Callable[[RefundPolicy, RefundFacts], Outcome]) -> Rule:
        def decide(policy: RefundPolicy, facts: RefundFacts) -> RefundDecision | None:
            outcome = function(policy, facts)
            return None if outcome is None else RefundDecision(name, *outcome)

        decide.__name__ = name
        RULES.append((name, decide))
        return decide

    return register


def _rejected() -> tuple[RefundStatus, int]:
    return RefundStatus.REJECTED, 0


@rule("administrative_fee_not_refundable")
def administrative_fee_not_refundable(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    return _rejected() if facts.fee_kind == FeeKind.ADMINISTRATIVE else None


@rule("classification_lowered")
def classification_lowered(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    return (RefundStatus.APPROVED, min(facts.lowered_by, facts.amount_paid)) if facts.lowered_by > 0 else None


@rule("request_decided")
def request_decided(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    return _rejected() if facts.request_state in (RequestState.APPROVED, RequestState.REJECTED) else None


@rule("review_started")
def review_started(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    started, until = facts.review_started_at, facts.withdrawn_at or facts.now
    return _rejected() if started is not None and started <= until else None


@rule("withdrawn_within_window")
def withdrawn_within_window(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    if facts.request_state != RequestState.WITHDRAWN or facts.withdrawn_at is None:
        return None
    if facts.withdrawn_at - facts.paid_at <= policy.window:
        return RefundStatus.APPROVED, policy.share_of(facts.amount_paid)
    return None


@rule("refund_window_passed")
def refund_window_passed(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    return _rejected() if facts.request_state == RequestState.WITHDRAWN else None


@rule("needs_review")
def needs_review(policy: RefundPolicy, facts: RefundFacts) -> Outcome:
    return RefundStatus.PENDING_REVIEW, facts.amount_paid


RULE_NAMES = tuple(name for name, _rule in RULES)
