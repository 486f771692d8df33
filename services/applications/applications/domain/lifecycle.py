"""The life of a request (a registration or a renewal), of a data update of an approved one, and of
the licence an approval grants (docs/rules.md, "The request's life"): their statuses, and for each
the one table of which action moves it from which status to which. Every change of a request's
status goes through `transition`, of an update's through `update_transition`, of a licence's
through `licence_transition`; anything a table does not allow is an `IllegalTransition`."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import IllegalTransition

DRAFT = "draft"
AWAITING_PAYMENT = "awaiting_payment"
UNDER_REVIEW = "under_review"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"
RETURNED = "returned"  # for corrections, by the reviewer who took it
STATUSES = (DRAFT, AWAITING_PAYMENT, UNDER_REVIEW, RETURNED, APPROVED, REJECTED, WITHDRAWN, CANCELLED)

# The kinds of request (contracts.RequestKind): both follow RULES; approving a registration issues a
# membership number and starts its licence, approving a renewal extends the licence it renews.
REGISTRATION = "registration"
RENEWAL = "renewal"
KINDS = (REGISTRATION, RENEWAL)

SYSTEM = "system"  # the `by` of timeline entries made by an event, not a person

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
EDIT = "edit"  # the owner changes a draft or a returned request
RETURN = "return"  # for corrections
EXPIRE_CORRECTIONS = "expire_corrections"  # the correction deadline passed
RECORD_DATAFLOW = "record_dataflow"
CLASSIFY = "classify"
SETTLE_DIFFERENCE = "settle_difference"  # the classification's fee difference paid (or none owed)
# What the timeline records for steps that are not a status of their own.
EDITED = "edited"
RESUBMITTED = "resubmitted"
DATAFLOW_RECORDED = "dataflow_recorded"
CLASSIFIED = "classified"
DIFFERENCE_SETTLED = "fees_settled"
# A data update of an approved request (R11) renews it: each step of the update is recorded on the
# request's timeline under these names; the request stays approved (its membership stays valid).
SUBMIT_UPDATE = "submit_update"
START_UPDATE_REVIEW = "start_update_review"
APPROVE_UPDATE = "approve_update"
REJECT_UPDATE = "reject_update"
UPDATE_SUBMITTED = "update_submitted"
UPDATE_REVIEW_STARTED = "update_review_started"
UPDATE_APPROVED = "update_approved"
UPDATE_REJECTED = "update_rejected"

# The licence an approved registration starts (docs/rules.md, "The licence"): valid for
# LICENCE_VALIDITY, `expiring` inside LICENCE_RENEWAL_WINDOW before its end, `expired` at it; a
# renewal approved makes it `active` again with a new end.
ACTIVE = "active"
EXPIRING = "expiring"
EXPIRED = "expired"
LICENCE_STATUSES = (ACTIVE, EXPIRING, EXPIRED)
ENTER_RENEWAL_WINDOW = "enter_renewal_window"
LAPSE = "lapse"
REQUEST_RENEWAL = "request_renewal"
RENEW = "renew"

_VERB = {
    SUBMIT: "submitted",
    WITHDRAW: "withdrawn",
    SETTLE_FEES: "sent to review",
    EXPIRE_DEADLINE: "cancelled",
    START_REVIEW: "taken for review",
    APPROVE: "approved",
    REJECT: "rejected",
    EDIT: "edited",
    RETURN: "returned for corrections",
    EXPIRE_CORRECTIONS: "cancelled",
    RECORD_DATAFLOW: "verified",
    CLASSIFY: "classified",
    SETTLE_DIFFERENCE: "settled",
    SUBMIT_UPDATE: "updated",
    START_UPDATE_REVIEW: "updated",
    APPROVE_UPDATE: "updated",
    REJECT_UPDATE: "updated",
    ENTER_RENEWAL_WINDOW: "due for renewal",
    LAPSE: "expired",
    REQUEST_RENEWAL: "renewed yet",
    RENEW: "renewed",
}


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
    Rule(EDIT, DRAFT, DRAFT, records=EDITED),
    Rule(SUBMIT, DRAFT, AWAITING_PAYMENT),
    Rule(WITHDRAW, DRAFT, WITHDRAWN),
    Rule(WITHDRAW, AWAITING_PAYMENT, WITHDRAWN),
    Rule(WITHDRAW, UNDER_REVIEW, WITHDRAWN),  # until the decision, taken by a reviewer or not
    Rule(WITHDRAW, RETURNED, WITHDRAWN),
    Rule(SETTLE_FEES, AWAITING_PAYMENT, UNDER_REVIEW),
    Rule(EXPIRE_DEADLINE, AWAITING_PAYMENT, CANCELLED),
    # A classification's fee difference left unpaid past its deadline cancels like an unpaid fee.
    Rule(EXPIRE_DEADLINE, UNDER_REVIEW, CANCELLED, review_started=True),
    Rule(START_REVIEW, UNDER_REVIEW, UNDER_REVIEW, review_started=False, records=REVIEW_STARTED),
    Rule(RECORD_DATAFLOW, UNDER_REVIEW, UNDER_REVIEW, review_started=True, records=DATAFLOW_RECORDED),
    Rule(CLASSIFY, UNDER_REVIEW, UNDER_REVIEW, review_started=True, records=CLASSIFIED),
    Rule(SETTLE_DIFFERENCE, UNDER_REVIEW, UNDER_REVIEW, review_started=True, records=DIFFERENCE_SETTLED),
    Rule(APPROVE, UNDER_REVIEW, APPROVED, review_started=True),
    Rule(REJECT, UNDER_REVIEW, REJECTED, review_started=True),
    # Returned for corrections: edited and sent again, with no new fees, to the reviewer who has it;
    # not sent again by the correction deadline, cancelled like an unpaid request.
    Rule(RETURN, UNDER_REVIEW, RETURNED, review_started=True),
    Rule(EDIT, RETURNED, RETURNED, records=EDITED),
    Rule(SUBMIT, RETURNED, UNDER_REVIEW, records=RESUBMITTED),
    Rule(EXPIRE_CORRECTIONS, RETURNED, CANCELLED),
    # Only an approved request (one holding a membership number) has its data updated.
    Rule(SUBMIT_UPDATE, APPROVED, APPROVED, records=UPDATE_SUBMITTED),
    Rule(START_UPDATE_REVIEW, APPROVED, APPROVED, records=UPDATE_REVIEW_STARTED),
    Rule(APPROVE_UPDATE, APPROVED, APPROVED, records=UPDATE_APPROVED),
    Rule(REJECT_UPDATE, APPROVED, APPROVED, records=UPDATE_REJECTED),
)

# The data update's own life: submitted under review, taken by a reviewer, approved or rejected.
# Its statuses are named like the request's; the actions are the request's review actions.
UPDATE_STATUSES = (UNDER_REVIEW, APPROVED, REJECTED)
UPDATE_RULES = (
    Rule(START_REVIEW, UNDER_REVIEW, UNDER_REVIEW, review_started=False, records=REVIEW_STARTED),
    Rule(APPROVE, UNDER_REVIEW, APPROVED, review_started=True),
    Rule(REJECT, UNDER_REVIEW, REJECTED, review_started=True),
)
# The request's timeline step that goes with each step of the update.
ON_THE_REQUEST = {START_REVIEW: START_UPDATE_REVIEW, APPROVE: APPROVE_UPDATE, REJECT: REJECT_UPDATE}


@dataclass(frozen=True)
class Step:
    status: str  # the status after the action
    records: str  # what the timeline entry says


def _apply(rules: tuple[Rule, ...], subject: str, action: str, status: str, review_started: bool) -> Step:
    for rule in rules:
        if (rule.action, rule.source) == (action, status) and rule.review_started in (None, review_started):
            return Step(rule.target, rule.records or rule.target)
    state = f"{status} (review started)" if review_started else status
    raise IllegalTransition(
        f"a {subject} that is {state} cannot be {_VERB.get(action, action)}", action, status, review_started
    )


LICENCE_RULES = (
    Rule(ENTER_RENEWAL_WINDOW, ACTIVE, EXPIRING),
    Rule(LAPSE, ACTIVE, EXPIRED),  # a window shorter than a scheduler's absence
    Rule(LAPSE, EXPIRING, EXPIRED),
    # A renewal is asked for inside the window or after the licence lapsed, never before.
    Rule(REQUEST_RENEWAL, EXPIRING, EXPIRING),
    Rule(REQUEST_RENEWAL, EXPIRED, EXPIRED),
    Rule(RENEW, EXPIRING, ACTIVE),
    Rule(RENEW, EXPIRED, ACTIVE),
)


def transition(action: str, status: str, review_started: bool = False) -> Step:
    """Where `action` takes a request in `status`; IllegalTransition if it may not."""
    return _apply(RULES, "request", action, status, review_started)


def update_transition(action: str, status: str, review_started: bool = False) -> Step:
    """Where `action` takes a data update in `status`; IllegalTransition if it may not."""
    return _apply(UPDATE_RULES, "data update", action, status, review_started)


def licence_transition(action: str, status: str) -> Step:
    """Where `action` takes a licence in `status`; IllegalTransition if it may not."""
    return _apply(LICENCE_RULES, "licence", action, status, False)


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
