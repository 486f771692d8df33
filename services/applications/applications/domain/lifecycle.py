"""The life of a registration request (DESIGN.md section 3): its statuses, and the one table of
which action moves it from which status to which. Every change of status goes through
`transition`; anything the table does not allow is an `IllegalTransition`."""
from __future__ import annotations

from dataclasses import dataclass

DRAFT = "draft"
AWAITING_PAYMENT = "awaiting_payment"
UNDER_REVIEW = "under_review"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
STATUSES = (DRAFT, AWAITING_PAYMENT, UNDER_REVIEW, APPROVED, REJECTED, WITHDRAWN, CANCELLED)

# A reviewer taking the request is recorded on the timeline under this name; the status stays
# under_review (refunds depend on the moment, so it is kept and published).
REVIEW_STARTED = "review_started"

SUBMIT = "submit"
WITHDRAW = "withdraw"
SETTLE_FEES = "settle_fees"
EXPIRE_DEADLINE = "expire_deadline"
START_REVIEW = "start_review"
APPROVE = "approve"
REJECT = "reject"

_VERB = {SUBMIT: "submitted", WITHDRAW: "withdrawn", SETTLE_FEES: "sent to review", EXPIRE_DEADLINE: "cancelled",
         START_REVIEW: "taken for review", APPROVE: "approved", REJECT: "rejected"}


@dataclass(frozen=True)
class Rule:
    action: str
    source: str
    target: str
    # Whether a reviewer must (True) or must not (False) have taken the request; None: either.
    review_started: bool | None = None
    # What the timeline records; the target status unless the step is not a change of status.
    records: str | None = None


RULES = (
    Rule(SUBMIT, DRAFT, AWAITING_PAYMENT),
    Rule(WITHDRAW, DRAFT, WITHDRAWN),
    Rule(WITHDRAW, AWAITING_PAYMENT, WITHDRAWN),
    Rule(WITHDRAW, UNDER_REVIEW, WITHDRAWN),  # until the decision, taken by a reviewer or not
    Rule(SETTLE_FEES, AWAITING_PAYMENT, UNDER_REVIEW),
    Rule(EXPIRE_DEADLINE, AWAITING_PAYMENT, CANCELLED),
    Rule(START_REVIEW, UNDER_REVIEW, UNDER_REVIEW, review_started=False, records=REVIEW_STARTED),
    Rule(APPROVE, UNDER_REVIEW, APPROVED, review_started=True),
    Rule(REJECT, UNDER_REVIEW, REJECTED, review_started=True),
)


@dataclass(frozen=True)
class Step:
    status: str  # the status after the action
    records: str  # what the timeline entry says


class IllegalTransition(Exception):
    def __init__(self, action: str, current_status: str, review_started: bool):
        self.action = action
        self.current_status = current_status
        self.review_started = review_started
        state = f"{current_status} (review started)" if review_started else current_status
        super().__init__(f"a request that is {state} cannot be {_VERB.get(action, action)}")


def transition(action: str, status: str, review_started: bool = False) -> Step:
    """Where `action` takes a request in `status`; IllegalTransition if it may not."""
    for rule in RULES:
        if (rule.action, rule.source) == (action, status) and rule.review_started in (None, review_started):
            return Step(rule.target, rule.records or rule.target)
    raise IllegalTransition(action, status, review_started)


def allows(action: str, status: str, review_started: bool = False) -> bool:
    try:
        transition(action, status, review_started)
    except IllegalTransition:
        return False
    return True


DECISIONS = {"approve": APPROVE, "reject": REJECT}


def decision_reason(decision: str, reason: str | None) -> str | None:
    """The reason kept with a decision: trimmed, None when empty. A rejection must give one
    (ValueError otherwise); an approval may."""
    reason = (reason or "").strip() or None
    if DECISIONS[decision] == REJECT and reason is None:
        raise ValueError("a rejection needs a reason")
    return reason
