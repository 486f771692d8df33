"""Money, dates, counts and names as an e-mail words them, in Arabic and English."""

from datetime import UTC, datetime, timedelta

import pytest

from mumaris_shared.contracts import LANGUAGES
from notifications.domain.formatting import count, date, date_time, in_riyadh, money, percent, time_left
from notifications.domain.wording import (
    REFUND_RULES,
    exemption,
    fee_kind,
    fee_kinds,
    payment_method,
    profile_field,
    profile_fields,
    refund_rule,
)

pytestmark = pytest.mark.unit

TERMS = {"window": "P30D", "share": "0.5", "decision_sla": "P15D"}  # billing's defaults


@pytest.mark.parametrize(
    "halalas, arabic, english",
    [
        (20000, "200.00 ر.س", "SAR 200.00"),
        (125050, "1,250.50 ر.س", "SAR 1,250.50"),
        (5, "0.05 ر.س", "SAR 0.05"),
        (0, "0.00 ر.س", "SAR 0.00"),
        (123456789, "1,234,567.89 ر.س", "SAR 1,234,567.89"),
        (-1500, "-15.00 ر.س", "SAR -15.00"),
    ],
)
def test_halalas_are_written_as_riyals_with_two_decimals(halalas, arabic, english):
    assert money(halalas, "ar") == arabic
    assert money(halalas, "en") == english


@pytest.mark.parametrize("amount", [200.0, "20000", None, True])
def test_an_amount_that_is_not_whole_halalas_is_an_error(amount):
    with pytest.raises(TypeError):
        money(amount, "en")


def test_an_instant_is_read_on_the_clock_in_riyadh():
    # 21:30 UTC is 00:30 the next day in Riyadh (UTC+3): the date the applicant sees is the 25th.
    local = in_riyadh("2026-12-24T21:30:00Z")
    assert (local.day, local.hour, local.minute, local.utcoffset()) == (25, 0, 30, timedelta(hours=3))
    assert in_riyadh("2026-12-24T21:30:00+00:00") == in_riyadh(datetime(2026, 12, 24, 21, 30, tzinfo=UTC))
    assert in_riyadh("2026-12-24T21:30:00") == local  # no offset: UTC, as every event writes


@pytest.mark.parametrize(
    "instant, arabic, english",
    [
        ("2026-12-24T20:59:00Z", "الخميس 24 ديسمبر 2026", "Thursday 24 December 2026"),
        ("2026-12-24T21:00:00Z", "الجمعة 25 ديسمبر 2026", "Friday 25 December 2026"),
        ("2027-03-01T00:00:00Z", "الاثنين 1 مارس 2027", "Monday 1 March 2027"),
    ],
)
def test_a_date_names_the_weekday_and_month_in_the_recipients_language(instant, arabic, english):
    assert date(instant, "ar") == arabic
    assert date(instant, "en") == english


@pytest.mark.parametrize(
    "instant, arabic, english",
    [
        (
            "2026-12-24T20:59:00Z",
            "الخميس 24 ديسمبر 2026، الساعة 11:59 مساءً بتوقيت الرياض",
            "Thursday 24 December 2026 at 11:59 PM Riyadh time",
        ),
        (
            "2026-11-30T06:05:00Z",
            "الاثنين 30 نوفمبر 2026، الساعة 9:05 صباحًا بتوقيت الرياض",
            "Monday 30 November 2026 at 9:05 AM Riyadh time",
        ),
        (
            "2026-11-30T09:15:00Z",
            "الاثنين 30 نوفمبر 2026، الساعة 12:15 ظهرًا بتوقيت الرياض",
            "Monday 30 November 2026 at 12:15 PM Riyadh time",
        ),
        (
            "2026-11-29T21:00:00Z",
            "الاثنين 30 نوفمبر 2026، الساعة 12:00 صباحًا بتوقيت الرياض",
            "Monday 30 November 2026 at 12:00 AM Riyadh time",
        ),
    ],
)
def test_a_date_and_time_is_riyadh_time_on_a_twelve_hour_clock(instant, arabic, english):
    assert date_time(instant, "ar") == arabic
    assert date_time(instant, "en") == english


@pytest.mark.parametrize(
    "number, unit, arabic, english",
    [
        (1, "day", "يوم واحد", "1 day"),
        (2, "day", "يومين", "2 days"),
        (7, "day", "7 أيام", "7 days"),
        (10, "day", "10 أيام", "10 days"),
        (11, "day", "11 يومًا", "11 days"),
        (30, "day", "30 يومًا", "30 days"),
        (1, "hour", "ساعة واحدة", "1 hour"),
        (2, "hour", "ساعتين", "2 hours"),
        (5, "hour", "5 ساعات", "5 hours"),
        (23, "hour", "23 ساعة", "23 hours"),
        (1, "minute", "دقيقة واحدة", "1 minute"),
        (15, "minute", "15 دقيقة", "15 minutes"),
    ],
)
def test_counts_follow_each_languages_grammar(number, unit, arabic, english):
    assert count(number, unit, "ar") == arabic
    assert count(number, unit, "en") == english


@pytest.mark.parametrize(
    "duration, arabic, english",
    [
        ("P7D", "7 أيام", "7 days"),
        ("P1D", "يوم واحد", "1 day"),
        ("P1DT12H", "يوم واحد", "1 day"),
        ("PT3H", "3 ساعات", "3 hours"),
        ("PT90M", "ساعة واحدة", "1 hour"),
        ("PT10M", "10 دقائق", "10 minutes"),
        ("PT5S", "دقيقة واحدة", "1 minute"),  # the deadlines of a test run: never "0 minutes"
    ],
)
def test_time_left_is_said_in_its_largest_whole_unit(duration, arabic, english):
    assert time_left(duration, "ar") == arabic
    assert time_left(duration, "en") == english


@pytest.mark.parametrize("text", ["", "P", "7 days", "P1Y"])
def test_time_left_of_anything_but_a_duration_is_an_error(text):
    with pytest.raises(ValueError):
        time_left(text, "en")


def test_fees_methods_and_exemptions_are_named_in_each_language():
    assert (fee_kind("administrative", "ar"), fee_kind("service", "ar")) == ("الرسوم الإدارية", "رسوم الخدمة")
    assert (fee_kind("administrative", "en"), fee_kind("service", "en")) == ("administrative fee", "service fee")
    assert fee_kinds(["administrative", "service"], "ar") == "الرسوم الإدارية ورسوم الخدمة"
    assert fee_kinds(["administrative", "service"], "en") == "the administrative fee and the service fee"
    assert fee_kinds(["service"], "ar") == "رسوم الخدمة" and fee_kinds(["service"], "en") == "the service fee"
    assert [payment_method(m, "ar") for m in ("sadad", "mada", "credit_card", "apple_pay")] == [
        "سداد",
        "مدى",
        "بطاقة ائتمانية",
        "Apple Pay",
    ]
    assert [payment_method(m, "en") for m in ("sadad", "mada", "credit_card", "apple_pay")] == [
        "SADAD",
        "mada",
        "credit card",
        "Apple Pay",
    ]
    assert exemption("martyr_relative", "ar") == "إعفاء ذوي الشهداء"
    assert exemption("martyr_relative", "en") == "martyr's-relative exemption"
    assert exemption("some_future_kind", "en") == "fee exemption"


def test_a_fee_kind_outside_the_contract_is_an_error_not_a_guess():
    with pytest.raises(KeyError):
        fee_kind("stamp_duty", "en")
    with pytest.raises(ValueError):
        fee_kinds([], "ar")


# --- Refund rules: billing's policy names the rule, the e-mail says what it means ----------------------
POLICY_RULES = {
    "withdrawn_within_window",
    "classification_lowered",
    "refund_window_passed",
    "administrative_fee_not_refundable",
    "request_decided",
    "review_started",
    "needs_review",
    "duplicate_payment",
    "payment_after_cancellation",
    "exemption_after_payment",
    "waiver_after_payment",
    "reviewer_decision",
}  # the last: a reviewer decided a claim the rules left open


def test_every_refund_rule_of_the_policy_is_explained_in_every_language():
    assert set(REFUND_RULES) == POLICY_RULES
    for rule, wording in REFUND_RULES.items():
        assert set(wording) == set(LANGUAGES), rule
        assert all(text.strip() and text != rule for text in wording.values()), rule
        assert refund_rule(rule, TERMS, "ar") != refund_rule(rule, TERMS, "en")


@pytest.mark.parametrize(
    "rule, arabic, english",
    [
        ("withdrawn_within_window", "50% من رسوم الخدمة", "50% of the service fee"),
        ("administrative_fee_not_refundable", "الرسوم الإدارية لا تُرد", "administrative fee is never refunded"),
        ("needs_review", "خلال 15 يومًا", "within 15 days"),
        ("duplicate_payment", "كاملًا", "in full"),
    ],
)
def test_a_refund_rule_says_what_it_means(rule, arabic, english):
    assert arabic in refund_rule(rule, TERMS, "ar")
    assert english in refund_rule(rule, TERMS, "en")


def test_a_refund_rule_says_the_terms_billing_decided_it_under():
    """The figures are billing's settings, carried on its event: changed there, the e-mail follows."""
    terms = {"window": "P14D", "share": "0.25", "decision_sla": "P10D"}
    assert "within 14 days of paying" in refund_rule("withdrawn_within_window", terms, "en")
    assert "25% of the service fee" in refund_rule("withdrawn_within_window", terms, "en")
    assert "خلال 14 يومًا" in refund_rule("withdrawn_within_window", terms, "ar")
    assert "25% من رسوم الخدمة" in refund_rule("withdrawn_within_window", terms, "ar")
    assert "More than 14 days" in refund_rule("refund_window_passed", terms, "en")
    assert "within 10 days" in refund_rule("needs_review", terms, "en")
    assert "خلال 10 أيام" in refund_rule("needs_review", terms, "ar")


@pytest.mark.parametrize("share, written", [("0.5", "50%"), ("1", "100%"), ("0.333", "33.3%"), ("0", "0%")])
def test_a_share_is_written_as_a_percentage(share, written):
    assert percent(share) == written


def test_a_refund_rule_not_known_yet_reads_as_its_own_name():
    assert refund_rule("partial_goodwill", TERMS, "ar") == "partial_goodwill"
    assert refund_rule("partial_goodwill", TERMS, "en") == "partial_goodwill"


def test_membership_data_fields_are_named_in_each_language():
    assert profile_fields(["mobile", "employer"], "ar") == "رقم الجوال وجهة العمل"
    assert profile_fields(["email", "specialty", "qualification"], "en") == (
        "e-mail address, specialty and qualification"
    )
    assert profile_fields(["address", "qualification"], "ar") == "العنوان والمؤهل"
    assert profile_fields(["specialty"], "ar") == "التخصص"
    assert profile_field("licence_photo", "ar") == "licence_photo"  # a field not known yet keeps its name
    with pytest.raises(ValueError):
        profile_fields([], "en")
