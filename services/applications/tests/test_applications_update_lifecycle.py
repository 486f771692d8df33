"""One test per rule of a data update's life (domain/lifecycle.UPDATE_RULES), each named for the rule."""

import itertools

import pytest

from applications.domain.lifecycle import (
    APPROVE,
    APPROVED,
    REJECT,
    REJECTED,
    REVIEW_STARTED,
    START_REVIEW,
    UNDER_REVIEW,
    UPDATE_RULES,
    UPDATE_STATUSES,
    IllegalTransition,
    Step,
    update_transition,
)

pytestmark = pytest.mark.unit

ACTIONS = (START_REVIEW, APPROVE, REJECT)
ALLOWED = {
    (START_REVIEW, UNDER_REVIEW, False): Step(UNDER_REVIEW, REVIEW_STARTED),
    (APPROVE, UNDER_REVIEW, True): Step(APPROVED, APPROVED),
    (REJECT, UNDER_REVIEW, True): Step(REJECTED, REJECTED),
}


def test_a_reviewer_taking_an_update_records_review_started_and_keeps_it_under_review():
    assert update_transition(START_REVIEW, UNDER_REVIEW, review_started=False) == Step(UNDER_REVIEW, REVIEW_STARTED)


def test_an_update_already_taken_cannot_be_taken_again():
    with pytest.raises(IllegalTransition) as refused:
        update_transition(START_REVIEW, UNDER_REVIEW, review_started=True)
    assert str(refused.value) == "a data update that is under_review (review started) cannot be taken for review"


@pytest.mark.parametrize("action, outcome", [(APPROVE, APPROVED), (REJECT, REJECTED)])
def test_an_update_is_decided_only_after_its_review_started(action, outcome):
    assert update_transition(action, UNDER_REVIEW, review_started=True).status == outcome
    with pytest.raises(IllegalTransition) as refused:
        update_transition(action, UNDER_REVIEW, review_started=False)
    assert refused.value.current_status == UNDER_REVIEW and refused.value.review_started is False


@pytest.mark.parametrize("status", [APPROVED, REJECTED])
def test_a_decided_update_is_final(status):
    for action, started in itertools.product(ACTIONS, (False, True)):
        with pytest.raises(IllegalTransition) as refused:
            update_transition(action, status, started)
        assert refused.value.current_status == status


def test_the_update_table_allows_exactly_the_transitions_of_its_state_machine():
    assert UPDATE_STATUSES == (UNDER_REVIEW, APPROVED, REJECTED)
    for action, status, started in itertools.product(ACTIONS, UPDATE_STATUSES, (False, True)):
        if (action, status, started) in ALLOWED:
            assert update_transition(action, status, started) == ALLOWED[(action, status, started)]
        else:
            with pytest.raises(IllegalTransition):
                update_transition(action, status, started)
    assert {rule.action for rule in UPDATE_RULES} == set(ACTIONS)
