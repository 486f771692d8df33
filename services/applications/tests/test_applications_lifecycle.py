"""One test per rule of the request's life (domain/lifecycle.py), each named for the rule."""

import itertools

import pytest

from applications.domain.lifecycle import (
    ACTIVE,
    APPROVE,
    APPROVE_UPDATE,
    APPROVED,
    AWAITING_PAYMENT,
    CANCELLED,
    CLASSIFIED,
    CLASSIFY,
    DATAFLOW_RECORDED,
    DIFFERENCE_SETTLED,
    DRAFT,
    EDIT,
    EDITED,
    ENTER_RENEWAL_WINDOW,
    EXPIRE_CORRECTIONS,
    EXPIRE_DEADLINE,
    EXPIRED,
    EXPIRING,
    LAPSE,
    LICENCE_RULES,
    LICENCE_STATUSES,
    RECORD_DATAFLOW,
    REJECT,
    REJECT_UPDATE,
    REJECTED,
    RENEW,
    REQUEST_RENEWAL,
    RESUBMITTED,
    RETURN,
    RETURNED,
    REVIEW_STARTED,
    RULES,
    SETTLE_DIFFERENCE,
    SETTLE_FEES,
    START_REVIEW,
    START_UPDATE_REVIEW,
    STATUSES,
    SUBMIT,
    SUBMIT_UPDATE,
    UNDER_REVIEW,
    UPDATE_APPROVED,
    UPDATE_REJECTED,
    UPDATE_REVIEW_STARTED,
    UPDATE_SUBMITTED,
    WITHDRAW,
    WITHDRAWN,
    IllegalTransition,
    Step,
    allows,
    decision_reason,
    licence_transition,
    transition,
)

pytestmark = pytest.mark.unit

ACTIONS = (
    SUBMIT,
    WITHDRAW,
    SETTLE_FEES,
    EXPIRE_DEADLINE,
    START_REVIEW,
    APPROVE,
    REJECT,
    EDIT,
    RETURN,
    EXPIRE_CORRECTIONS,
    RECORD_DATAFLOW,
    CLASSIFY,
    SETTLE_DIFFERENCE,
)
UPDATE_ACTIONS = (SUBMIT_UPDATE, START_UPDATE_REVIEW, APPROVE_UPDATE, REJECT_UPDATE)
ALLOWED = {
    (SUBMIT, DRAFT, False): Step(AWAITING_PAYMENT, AWAITING_PAYMENT),
    (WITHDRAW, DRAFT, False): Step(WITHDRAWN, WITHDRAWN),
    (WITHDRAW, AWAITING_PAYMENT, False): Step(WITHDRAWN, WITHDRAWN),
    (WITHDRAW, UNDER_REVIEW, False): Step(WITHDRAWN, WITHDRAWN),
    (WITHDRAW, UNDER_REVIEW, True): Step(WITHDRAWN, WITHDRAWN),
    (SETTLE_FEES, AWAITING_PAYMENT, False): Step(UNDER_REVIEW, UNDER_REVIEW),
    (EXPIRE_DEADLINE, AWAITING_PAYMENT, False): Step(CANCELLED, CANCELLED),
    (START_REVIEW, UNDER_REVIEW, False): Step(UNDER_REVIEW, REVIEW_STARTED),
    (APPROVE, UNDER_REVIEW, True): Step(APPROVED, APPROVED),
    (REJECT, UNDER_REVIEW, True): Step(REJECTED, REJECTED),
    (EDIT, DRAFT, False): Step(DRAFT, EDITED),
    (EXPIRE_DEADLINE, UNDER_REVIEW, True): Step(CANCELLED, CANCELLED),
    (RECORD_DATAFLOW, UNDER_REVIEW, True): Step(UNDER_REVIEW, DATAFLOW_RECORDED),
    (CLASSIFY, UNDER_REVIEW, True): Step(UNDER_REVIEW, CLASSIFIED),
    (SETTLE_DIFFERENCE, UNDER_REVIEW, True): Step(UNDER_REVIEW, DIFFERENCE_SETTLED),
    (RETURN, UNDER_REVIEW, True): Step(RETURNED, RETURNED),
    **{
        (action, RETURNED, started): step
        for started in (False, True)
        for action, step in (
            (EDIT, Step(RETURNED, EDITED)),
            (SUBMIT, Step(UNDER_REVIEW, RESUBMITTED)),
            (WITHDRAW, Step(WITHDRAWN, WITHDRAWN)),
            (EXPIRE_CORRECTIONS, Step(CANCELLED, CANCELLED)),
        )
    },
    **{
        (action, APPROVED, started): Step(APPROVED, records)
        for started in (False, True)
        for action, records in (
            (SUBMIT_UPDATE, UPDATE_SUBMITTED),
            (START_UPDATE_REVIEW, UPDATE_REVIEW_STARTED),
            (APPROVE_UPDATE, UPDATE_APPROVED),
            (REJECT_UPDATE, UPDATE_REJECTED),
        )
    },
}


def test_submitting_a_draft_awaits_payment():
    assert transition(SUBMIT, DRAFT) == Step(AWAITING_PAYMENT, AWAITING_PAYMENT)


def test_a_draft_can_be_withdrawn():
    assert transition(WITHDRAW, DRAFT).status == WITHDRAWN


def test_a_request_awaiting_payment_can_be_withdrawn():
    assert transition(WITHDRAW, AWAITING_PAYMENT).status == WITHDRAWN


@pytest.mark.parametrize("review_started", [False, True])
def test_a_request_under_review_can_be_withdrawn_until_it_is_decided(review_started):
    assert transition(WITHDRAW, UNDER_REVIEW, review_started).status == WITHDRAWN


def test_settled_fees_send_a_request_awaiting_payment_to_review():
    assert transition(SETTLE_FEES, AWAITING_PAYMENT).status == UNDER_REVIEW


def test_an_expired_payment_deadline_cancels_a_request_awaiting_payment():
    assert transition(EXPIRE_DEADLINE, AWAITING_PAYMENT).status == CANCELLED


def test_a_reviewer_taking_a_request_records_review_started_and_keeps_it_under_review():
    assert transition(START_REVIEW, UNDER_REVIEW, review_started=False) == Step(UNDER_REVIEW, REVIEW_STARTED)


def test_a_request_already_taken_cannot_be_taken_again():
    with pytest.raises(IllegalTransition):
        transition(START_REVIEW, UNDER_REVIEW, review_started=True)


@pytest.mark.parametrize("action, outcome", [(APPROVE, APPROVED), (REJECT, REJECTED)])
def test_a_request_is_decided_only_after_its_review_started(action, outcome):
    assert transition(action, UNDER_REVIEW, review_started=True).status == outcome
    with pytest.raises(IllegalTransition) as refused:
        transition(action, UNDER_REVIEW, review_started=False)
    assert refused.value.current_status == UNDER_REVIEW and refused.value.review_started is False


def test_a_request_cannot_be_submitted_twice():
    with pytest.raises(IllegalTransition) as refused:
        transition(SUBMIT, AWAITING_PAYMENT)
    assert refused.value.current_status == AWAITING_PAYMENT
    assert str(refused.value) == "a request that is awaiting_payment cannot be submitted"


@pytest.mark.parametrize("status", [APPROVED, REJECTED, WITHDRAWN, CANCELLED])
def test_decided_withdrawn_and_cancelled_requests_are_final(status):
    assert not any(allows(action, status, started) for action in ACTIONS for started in (False, True))


def test_only_an_approved_request_has_its_data_updated_and_stays_approved():
    for action, records in zip(
        UPDATE_ACTIONS, (UPDATE_SUBMITTED, UPDATE_REVIEW_STARTED, UPDATE_APPROVED, UPDATE_REJECTED), strict=True
    ):
        assert transition(action, APPROVED, review_started=True) == Step(APPROVED, records)
        for status in (DRAFT, AWAITING_PAYMENT, UNDER_REVIEW, REJECTED, WITHDRAWN, CANCELLED):
            with pytest.raises(IllegalTransition):
                transition(action, status, review_started=status in (UNDER_REVIEW, REJECTED))
    with pytest.raises(IllegalTransition) as refused:
        transition(SUBMIT_UPDATE, REJECTED, review_started=True)
    assert str(refused.value) == "a request that is rejected (review started) cannot be updated"


# A reviewer takes a request only under review; it stays taken whatever comes after.
STAGES = [(status, False) for status in STATUSES] + [
    (status, True) for status in (UNDER_REVIEW, RETURNED, APPROVED, REJECTED, WITHDRAWN, CANCELLED)
]


def test_the_table_allows_exactly_the_transitions_of_the_state_machine():
    for action, (status, started) in itertools.product(ACTIONS + UPDATE_ACTIONS, STAGES):
        if (action, status, started) in ALLOWED:
            assert transition(action, status, started) == ALLOWED[(action, status, started)]
        else:
            with pytest.raises(IllegalTransition) as refused:
                transition(action, status, started)
            assert (refused.value.action, refused.value.current_status) == (action, status)
    assert {rule.action for rule in RULES} == set(ACTIONS + UPDATE_ACTIONS)


def test_a_rejection_needs_a_reason_and_an_approval_may_give_one():
    assert decision_reason("reject", "  incomplete documents ") == "incomplete documents"
    for missing in (None, "", "   "):
        with pytest.raises(ValueError):
            decision_reason("reject", missing)
        assert decision_reason("approve", missing) is None
    assert decision_reason("approve", "all in order") == "all in order"


# --- returns for corrections ---------------------------------------------------------------------------
def test_a_reviewer_who_took_a_request_may_return_it_for_corrections():
    assert transition(RETURN, UNDER_REVIEW, review_started=True).status == RETURNED
    with pytest.raises(IllegalTransition):
        transition(RETURN, UNDER_REVIEW, review_started=False)


def test_a_returned_request_is_edited_and_sent_again_to_review_without_new_fees():
    assert transition(EDIT, RETURNED, True) == Step(RETURNED, EDITED)
    # back under review, not awaiting payment: no new fees
    assert transition(SUBMIT, RETURNED, True) == Step(UNDER_REVIEW, RESUBMITTED)


def test_a_returned_request_not_sent_again_by_the_correction_deadline_is_cancelled():
    assert transition(EXPIRE_CORRECTIONS, RETURNED, True).status == CANCELLED


def test_only_drafts_and_returned_requests_are_edited():
    for status in STATUSES:
        assert allows(EDIT, status, status == RETURNED) == (status in (DRAFT, RETURNED))


def test_dataflow_and_classification_are_recorded_only_by_a_reviewer_who_took_the_request():
    for action in (RECORD_DATAFLOW, CLASSIFY):
        assert transition(action, UNDER_REVIEW, True).status == UNDER_REVIEW
        with pytest.raises(IllegalTransition):
            transition(action, UNDER_REVIEW, False)


def test_an_unpaid_classification_difference_cancels_like_an_unpaid_fee():
    assert transition(EXPIRE_DEADLINE, UNDER_REVIEW, True).status == CANCELLED


# --- the licence -------------------------------------------------------------------------------------------
LICENCE_ALLOWED = {
    (ENTER_RENEWAL_WINDOW, ACTIVE): EXPIRING,
    (LAPSE, ACTIVE): EXPIRED,
    (LAPSE, EXPIRING): EXPIRED,
    (REQUEST_RENEWAL, EXPIRING): EXPIRING,
    (REQUEST_RENEWAL, EXPIRED): EXPIRED,
    (RENEW, EXPIRING): ACTIVE,
    (RENEW, EXPIRED): ACTIVE,
}


def test_the_licence_table_allows_exactly_its_transitions():
    actions = {rule.action for rule in LICENCE_RULES}
    for action, status in itertools.product(actions, LICENCE_STATUSES):
        if (action, status) in LICENCE_ALLOWED:
            assert licence_transition(action, status).status == LICENCE_ALLOWED[(action, status)]
        else:
            with pytest.raises(IllegalTransition):
                licence_transition(action, status)


def test_a_renewal_is_asked_for_only_inside_the_window_or_after_expiry():
    with pytest.raises(IllegalTransition) as refused:
        licence_transition(REQUEST_RENEWAL, ACTIVE)
    assert str(refused.value) == "a licence that is active cannot be renewed yet"


def test_an_approved_renewal_makes_the_licence_active_again():
    assert licence_transition(RENEW, EXPIRING).status == licence_transition(RENEW, EXPIRED).status == ACTIVE
