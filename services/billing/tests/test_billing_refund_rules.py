"""The refund policy (domain/refunds.py): one test per rule, named for it, then the amount, the
order of the rules, the decision limit and escalation, and the settings."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.domain.refunds import RULE_NAMES, RefundFacts, RefundPolicy, RefundStatus
from billing.settings import Settings

pytestmark = pytest.mark.unit

PAID_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = RefundPolicy()
SERVICE_FEE = 90000


def facts(**overrides) -> RefundFacts:
    values = dict(
        fee_kind="service",
        amount_paid=SERVICE_FEE,
        paid_at=PAID_AT,
        request_state="withdrawn",
        now=PAID_AT + 3 * DAY,
        withdrawn_at=PAID_AT + 2 * DAY,
    )
    values.update(overrides)
    return RefundFacts(**values)


def decided(**overrides) -> tuple[str, str, int]:
    decision = POLICY.decide(facts(**overrides))
    return decision.rule, decision.status, decision.amount_halalas


def test_the_rules_are_tried_in_this_order():
    assert RULE_NAMES == (
        "administrative_fee_not_refundable",
        "classification_lowered",
        "request_decided",
        "review_started",
        "withdrawn_within_window",
        "refund_window_passed",
        "needs_review",
    )


# --- one test per rule -------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["withdrawn", "open", "settled", "approved"])
def test_administrative_fee_not_refundable(state):
    assert decided(fee_kind="administrative", amount_paid=20000, request_state=state) == (
        "administrative_fee_not_refundable",
        RefundStatus.REJECTED,
        0,
    )


def test_classification_lowered():
    # a reviewer took the request (review started) and classified it lower: the difference comes back
    lowered = dict(request_state="settled", withdrawn_at=None, review_started_at=PAID_AT + DAY)
    assert decided(lowered_by=40000, **lowered) == ("classification_lowered", RefundStatus.APPROVED, 40000)
    # never more than was paid, and never the administrative fee
    assert decided(lowered_by=SERVICE_FEE + 1, **lowered)[2] == SERVICE_FEE
    assert decided(fee_kind="administrative", amount_paid=20000, lowered_by=1000)[0] == (
        "administrative_fee_not_refundable"
    )
    assert decided(lowered_by=0, **lowered)[0] == "review_started"


@pytest.mark.parametrize("state", ["approved", "rejected"])
def test_request_decided(state):
    assert decided(request_state=state, withdrawn_at=None, decided_at=PAID_AT + DAY) == (
        "request_decided",
        RefundStatus.REJECTED,
        0,
    )


def test_review_started():
    assert decided(review_started_at=PAID_AT + DAY) == (
        "review_started",
        RefundStatus.REJECTED,
        0,
    )  # withdrawn after it
    assert decided(request_state="settled", withdrawn_at=None, review_started_at=PAID_AT + DAY) == (
        "review_started",
        RefundStatus.REJECTED,
        0,
    )


def test_withdrawn_within_window():
    assert decided() == ("withdrawn_within_window", RefundStatus.APPROVED, 45000)
    assert decided(withdrawn_at=PAID_AT + 30 * DAY, now=PAID_AT + 40 * DAY) == (
        "withdrawn_within_window",
        RefundStatus.APPROVED,
        45000,
    )  # the last moment of the window still counts


def test_refund_window_passed():
    assert decided(withdrawn_at=PAID_AT + 30 * DAY + timedelta(seconds=1), now=PAID_AT + 31 * DAY) == (
        "refund_window_passed",
        RefundStatus.REJECTED,
        0,
    )


@pytest.mark.parametrize("state", ["open", "settled", "expired"])
def test_needs_review(state):
    """A service fee of a request neither withdrawn, taken for review nor decided: a reviewer decides;
    the amount shown is what is claimed, the whole fee paid."""
    assert decided(request_state=state, withdrawn_at=None) == ("needs_review", RefundStatus.PENDING_REVIEW, SERVICE_FEE)


# --- the order matters -------------------------------------------------------------------------------
def test_a_decision_outranks_the_window_and_review_outranks_the_window():
    assert decided(request_state="rejected", review_started_at=PAID_AT + DAY)[0] == "request_decided"
    assert decided(review_started_at=PAID_AT + DAY, withdrawn_at=PAID_AT + 2 * DAY)[0] == "review_started"


def test_a_review_start_recorded_after_the_withdrawal_does_not_count():
    assert decided(review_started_at=PAID_AT + 5 * DAY)[0] == "withdrawn_within_window"


# --- the amount ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "share, paid, refunded",
    [
        ("0.5", 90000, 45000),
        ("0.5", 90001, 45000),
        ("0.333", 100, 33),
        ("1", 160000, 160000),
        ("0", 90000, 0),
        ("0.5", 1, 0),
    ],
)
def test_the_share_is_taken_of_what_was_paid_rounded_down_to_a_halala(share, paid, refunded):
    assert RefundPolicy(share=Decimal(share)).share_of(paid) == refunded


def test_the_window_and_share_come_from_the_policy():
    policy = RefundPolicy(window=7 * DAY, share=Decimal("0.25"))
    decision = policy.decide(facts(withdrawn_at=PAID_AT + 7 * DAY, now=PAID_AT + 8 * DAY))
    assert (decision.rule, decision.amount_halalas) == ("withdrawn_within_window", 22500)
    assert policy.decide(facts(withdrawn_at=PAID_AT + 8 * DAY, now=PAID_AT + 9 * DAY)).rule == "refund_window_passed"


# --- the decision limit and escalation ------------------------------------------------------------------
def test_every_claim_is_decided_within_fifteen_days_and_escalated_three_days_before():
    claimed = PAID_AT
    decide_by = POLICY.decide_by(claimed)
    assert decide_by == claimed + 15 * DAY
    assert POLICY.escalation_horizon(claimed + 12 * DAY) == decide_by
    assert not POLICY.due_for_escalation(decide_by, claimed + 12 * DAY - timedelta(seconds=1))
    assert POLICY.due_for_escalation(decide_by, claimed + 12 * DAY)


# --- settings ------------------------------------------------------------------------------------------
def test_refund_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("BILLING_REFUND_WINDOW", "P14D")
    monkeypatch.setenv("BILLING_REFUND_SHARE", "0.4")
    monkeypatch.setenv("BILLING_REFUND_DECISION_SLA", "P10D")
    monkeypatch.setenv("BILLING_REFUND_ESCALATE_BEFORE", "P2D")
    monkeypatch.setenv("BILLING_SANDBOX_RESEND_AFTER", "PT5S")
    settings = Settings.from_env()
    assert settings.refunds == RefundPolicy(
        window=14 * DAY, share=Decimal("0.4"), decision_sla=10 * DAY, escalate_before=2 * DAY
    )
    assert settings.sandbox_resend_after == timedelta(seconds=5)


def test_refund_settings_default_to_thirty_days_half_and_fifteen_days():
    assert Settings.from_env().refunds == RefundPolicy(
        window=30 * DAY, share=Decimal("0.5"), decision_sla=15 * DAY, escalate_before=3 * DAY
    )


@pytest.mark.parametrize("share", ["1.5", "-0.1", "half"])
def test_a_share_outside_zero_to_one_stops_the_service_at_start(monkeypatch, share):
    monkeypatch.setenv("BILLING_REFUND_SHARE", share)
    with pytest.raises(ValueError):
        Settings.from_env()
