"""One test per billing rule (domain/), each named for the rule."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from billing.domain.deadlines import DeadlinePolicy, parse_reminders
from billing.domain.errors import InvalidSignature, InvoiceNotPayable, StaleWebhook
from billing.domain.fees import DEFAULT_SCHEDULE, FeeSchedule, InvalidFeeSchedule
from billing.domain.idempotency import check_key, fingerprint
from billing.domain.invoices import (
    FullRefundRule,
    check_payable,
    fees_settled,
    new_sadad_bill_number,
    over_payment_rule,
)
from billing.domain.payments import sign, verify_signature
from billing.settings import MoyasarSettings, Settings

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)


# --- the fee schedule (R3) ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "category, service_fee",
    [
        ("technician", 40000),
        ("specialist", 90000),
        ("general_practitioner", 90000),
        ("resident", 90000),
        ("pharmacist", 90000),
        ("registrar", 130000),
        ("consultant", 160000),
    ],
)
def test_fee_schedule_charges_200_sar_administrative_and_the_categorys_service_fee(category, service_fee):
    assert FeeSchedule.load().fees_for(category) == {"administrative": 20000, "service": service_fee}


def test_fee_schedule_file_can_be_replaced_by_operations(tmp_path, monkeypatch):
    path = tmp_path / "fees.json"
    raw = json.loads(DEFAULT_SCHEDULE.read_text())
    raw["service_halalas"]["consultant"] = 170000
    path.write_text(json.dumps(raw))
    monkeypatch.setenv("BILLING_FEE_SCHEDULE", str(path))
    assert Settings.from_env().fees.fees_for("consultant")["service"] == 170000


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw["service_halalas"].pop("resident"),
        lambda raw: raw["service_halalas"].update(nurse=1000),
        lambda raw: raw.update(administrative_halalas=200.5),
        lambda raw: raw.update(administrative_halalas=-1),
        lambda raw: raw.update(currency="USD"),
    ],
    ids=["category missing", "unknown category", "fractional halalas", "negative", "other currency"],
)
def test_an_invalid_fee_schedule_stops_the_service_at_start(tmp_path, change):
    raw = json.loads(DEFAULT_SCHEDULE.read_text())
    change(raw)
    path = tmp_path / "fees.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidFeeSchedule):
        FeeSchedule.load(path)


# --- the deadline and reminders (R4) -----------------------------------------------------------------
POLICY = DeadlinePolicy(deadline=30 * DAY, reminders=parse_reminders("P1D,P7D"))
DUE = NOW + 30 * DAY


def test_fees_fall_due_thirty_days_after_submission():
    assert POLICY.due_at(NOW) == DUE


def test_reminders_go_out_seven_days_and_one_day_before_the_deadline_each_once():
    assert POLICY.first_check_at(NOW, DUE) == DUE - 7 * DAY
    assert POLICY.step(NOW, DUE, set(), DUE - 8 * DAY).remind is None
    seven = POLICY.step(NOW, DUE, set(), DUE - 7 * DAY)
    assert (seven.remind.name, seven.mark_sent, seven.ended, seven.next_check_at) == (
        "P7D",
        ("P7D",),
        False,
        DUE - DAY,
    )
    assert POLICY.step(NOW, DUE, {"P7D"}, DUE - 2 * DAY).remind is None
    one = POLICY.step(NOW, DUE, {"P7D"}, DUE - DAY)
    assert (one.remind.name, one.next_check_at) == ("P1D", DUE)
    assert POLICY.step(NOW, DUE, {"P7D", "P1D"}, DUE - timedelta(hours=1)).remind is None


def test_reminders_missed_while_no_scheduler_ran_become_one_the_latest():
    late = POLICY.step(NOW, DUE, set(), DUE - timedelta(hours=12))
    assert late.remind.name == "P1D" and set(late.mark_sent) == {"P7D", "P1D"}


def test_a_reminder_earlier_than_the_submission_is_never_sent():
    short = DeadlinePolicy(deadline=3 * DAY, reminders=parse_reminders("P7D,P1D"))
    due = short.due_at(NOW)
    assert short.first_check_at(NOW, due) == due - DAY
    assert short.step(NOW, due, set(), NOW + timedelta(hours=1)).remind is None


def test_unsettled_at_the_deadline_the_request_expires():
    assert POLICY.step(NOW, DUE, set(), DUE).ended
    assert not POLICY.step(NOW, DUE, set(), DUE - timedelta(seconds=1)).ended


def test_reminder_durations_come_from_the_setting(monkeypatch):
    monkeypatch.setenv("BILLING_PAYMENT_DEADLINE", "PT3S")
    monkeypatch.setenv("BILLING_REMINDERS", "PT2S, PT1S")
    deadlines = Settings.from_env().deadlines
    assert deadlines.deadline == timedelta(seconds=3)
    assert [(r.name, r.before) for r in deadlines.reminders] == [
        ("PT2S", timedelta(seconds=2)),
        ("PT1S", timedelta(seconds=1)),
    ]


# --- settlement (both fees paid or waived) ----------------------------------------------------------
@pytest.mark.parametrize(
    "statuses, settled",
    [
        (["paid", "paid"], True),
        (["paid", "waived"], True),
        (["waived", "waived"], True),
        (["paid", "unpaid"], False),
        (["waived", "expired"], False),
        (["paid", "cancelled"], False),
        ([], False),
    ],
)
def test_fees_are_settled_when_every_invoice_is_paid_or_waived(statuses, settled):
    assert fees_settled(statuses) is settled


@pytest.mark.parametrize(
    "status, code",
    [
        ("paid", "invoice_settled"),
        ("waived", "invoice_settled"),
        ("expired", "invoice_expired"),
        ("cancelled", "invoice_cancelled"),
    ],
)
def test_only_an_unpaid_invoice_can_be_paid(status, code):
    check_payable("unpaid")
    with pytest.raises(InvoiceNotPayable) as refused:
        check_payable(status)
    assert refused.value.code == code


def test_money_captured_for_an_invoice_that_no_longer_owes_it_is_refunded_in_full():
    assert over_payment_rule("unpaid") is None
    assert over_payment_rule("paid") == over_payment_rule("waived") == FullRefundRule.DUPLICATE_PAYMENT
    assert over_payment_rule("expired") == over_payment_rule("cancelled") == FullRefundRule.PAYMENT_AFTER_CANCELLATION


def test_sadad_bill_numbers_are_twelve_random_digits():
    numbers = {new_sadad_bill_number() for _ in range(1000)}
    assert len(numbers) == 1000
    assert all(len(n) == 12 and n.isdigit() and n[0] != "0" for n in numbers)


# --- webhook signatures ---------------------------------------------------------------------------
BODY = b'{"id":"evt_1","payment_id":"p1","outcome":"captured","occurred_at":"2026-11-25T10:00:00Z"}'
T = int(NOW.timestamp())


def test_a_webhook_signed_with_the_secret_just_now_is_accepted():
    assert verify_signature(sign("s3cret", T, BODY), BODY, "s3cret", NOW + timedelta(seconds=30)) == T


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=abc,v1=00",
        f"t={T}",
        sign("another secret", T, BODY),
        sign("s3cret", T, BODY + b" "),
        sign("s3cret", T + 1, BODY).replace(f"t={T + 1}", f"t={T}"),
    ],
    ids=["missing", "empty", "malformed", "no mac", "wrong secret", "other body", "timestamp changed"],
)
def test_a_forged_or_unsigned_webhook_is_refused(header):
    with pytest.raises(InvalidSignature):
        verify_signature(header, BODY, "s3cret", NOW)


@pytest.mark.parametrize(
    "now",
    [NOW + timedelta(minutes=5, seconds=1), NOW - timedelta(minutes=5, seconds=1)],
    ids=["too old", "in the future"],
)
def test_a_webhook_signed_more_than_five_minutes_away_is_stale(now):
    with pytest.raises(StaleWebhook):
        verify_signature(sign("s3cret", T, BODY), BODY, "s3cret", now)


# --- idempotency ------------------------------------------------------------------------------------
def test_the_same_request_has_the_same_fingerprint_whatever_the_key_order():
    assert fingerprint("POST", "/v1/x", {"a": 1, "b": 2}) == fingerprint("POST", "/v1/x", {"b": 2, "a": 1})
    assert fingerprint("POST", "/v1/x", {"a": 1}) != fingerprint("POST", "/v1/y", {"a": 1})
    assert fingerprint("POST", "/v1/x", {"a": 1}) != fingerprint("POST", "/v1/x", {"a": 2})


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 201])
def test_an_idempotency_key_is_required_and_bounded(key):
    with pytest.raises(ValueError):
        check_key(key)


# --- the Moyasar provider's settings --------------------------------------------------------------
@pytest.mark.parametrize("missing", ["secret_key", "webhook_secret"])
def test_moyasar_without_its_secrets_does_not_start(missing):
    given = {"secret_key": "sk_test_x", "webhook_secret": "token", missing: None}
    with pytest.raises(ValueError, match=f"BILLING_MOYASAR_{missing.upper()}"):
        Settings(payment_provider="moyasar", moyasar=MoyasarSettings(**given))
