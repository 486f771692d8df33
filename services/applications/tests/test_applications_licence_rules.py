"""One test per rule of the licence, CPD hours, documents and review depth (domain/), each named for the rule."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from applications.domain.cpd import (
    Activity,
    CpdRequirements,
    InvalidCpdRequirements,
    hours_counted,
    shortfall,
    valid_hours,
)
from applications.domain.documents import LinkSigner, RequiredDocuments, content_type_of, within_size
from applications.domain.errors import FeesOutstanding, QualificationNotVerified
from applications.domain.licences import LicencePolicy
from applications.domain.review import (
    approval_needs_fees_settled,
    approval_needs_verified_qualification,
    return_names_what_to_correct,
)
from mumaris_shared.config import parse_period
from mumaris_shared.reminders import parse_reminders

pytestmark = pytest.mark.unit

DAY = timedelta(days=1)
APPROVED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
POLICY = LicencePolicy()


# --- the licence -------------------------------------------------------------------------------------------
def test_a_licence_is_valid_two_years_from_approval_by_the_calendar():
    assert POLICY.first_valid_until(APPROVED_AT) == datetime(2028, 11, 25, 10, 0, tzinfo=UTC)
    leap = datetime(2028, 2, 29, tzinfo=UTC)
    assert POLICY.first_valid_until(leap) == datetime(2030, 2, 28, tzinfo=UTC)


def test_a_licence_is_expiring_inside_the_renewal_window_and_expired_at_its_end():
    until = POLICY.first_valid_until(APPROVED_AT)
    assert POLICY.status_at(until, until - 91 * DAY) == "active"
    assert POLICY.status_at(until, until - 90 * DAY) == "expiring"
    assert POLICY.status_at(until, until) == "expired"


def test_a_renewal_approved_early_adds_the_validity_to_the_end_and_one_approved_late_counts_from_approval():
    until = POLICY.first_valid_until(APPROVED_AT)
    assert POLICY.renewed_until(until, until - 30 * DAY) == parse_period("P2Y").after(until)
    assert POLICY.renewed_until(until, until + 10 * DAY) == parse_period("P2Y").after(until + 10 * DAY)


def test_licence_reminders_ninety_thirty_and_seven_days_before_expiry_each_once():
    until = POLICY.first_valid_until(APPROVED_AT)
    assert POLICY.first_check_at(APPROVED_AT, until) == until - 90 * DAY
    sent: set[str] = set()
    for days, name in ((90, "P90D"), (30, "P30D"), (7, "P7D")):
        step = POLICY.step(APPROVED_AT, until, sent, until - days * DAY)
        assert step.remind.name == name and not step.ended
        sent |= set(step.mark_sent)
        assert POLICY.step(APPROVED_AT, until, sent, until - days * DAY).remind is None
    assert POLICY.step(APPROVED_AT, until, sent, until).ended


def test_the_scheduler_is_woken_when_the_renewal_window_opens_even_without_a_reminder_then():
    quiet = LicencePolicy(reminders=parse_reminders("P7D"))
    until = quiet.first_valid_until(APPROVED_AT)
    assert quiet.first_check_at(APPROVED_AT, until) == until - 90 * DAY


def test_years_and_months_are_calendar_periods():
    assert parse_period("P1Y6M").after(datetime(2026, 8, 31, tzinfo=UTC)) == datetime(2028, 2, 29, tzinfo=UTC)
    assert parse_period("PT20S").after(APPROVED_AT) == APPROVED_AT + timedelta(seconds=20)
    with pytest.raises(ValueError):
        parse_period("2 years")


# --- CPD hours ---------------------------------------------------------------------------------------------
def test_cpd_hours_required_per_category_come_from_the_settings_file(tmp_path):
    assert CpdRequirements.load().required("consultant") == Decimal(100)
    bad = tmp_path / "cpd.json"
    bad.write_text('{"hours_per_licence_period": {"consultant": 10}}')
    with pytest.raises(InvalidCpdRequirements):
        CpdRequirements.load(bad)


def test_cpd_hours_count_within_the_licence_period_unless_rejected():
    activities = [
        Activity(date(2027, 1, 10), Decimal("20"), "accepted"),
        Activity(date(2027, 2, 10), Decimal("7.5"), "pending"),
        Activity(date(2027, 3, 10), Decimal("40"), "rejected"),
        Activity(date(2025, 3, 10), Decimal("40"), "accepted"),  # before the period
    ]
    assert hours_counted(activities, date(2026, 11, 25), date(2028, 11, 25)) == Decimal("27.5")
    assert shortfall(Decimal("27.5"), Decimal(30)) == Decimal("2.5")
    assert shortfall(Decimal(31), Decimal(30)) == 0


@pytest.mark.parametrize("hours", ["0", "-1", "200.25", "1.1"])
def test_an_activity_has_more_than_zero_hours_in_quarter_hours(hours):
    with pytest.raises(ValueError):
        valid_hours(Decimal(hours))
    valid_hours(Decimal("1.25"))


# --- documents ---------------------------------------------------------------------------------------------
def test_a_document_type_is_told_by_its_content_not_its_name():
    assert content_type_of(b"%PDF-1.7\n...") == "application/pdf"
    assert content_type_of(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert content_type_of(b"\xff\xd8\xff\xe0....") == "image/jpeg"
    assert content_type_of(b"MZ\x90\x00 an executable named degree.pdf") is None
    assert content_type_of(b"GIF89a") is None


def test_a_document_is_at_most_ten_megabytes_and_not_empty():
    assert within_size(10 * 1024 * 1024) and not within_size(10 * 1024 * 1024 + 1) and not within_size(0)


def test_a_request_needs_its_categorys_required_documents():
    required = RequiredDocuments.load()
    assert required.missing("registration", "specialist", []) == ["degree", "identity"]
    assert required.missing("registration", "consultant", ["identity", "degree"]) == ["specialty_certificate"]
    assert required.missing("renewal", "consultant", ["identity"]) == []


def test_a_document_link_is_signed_and_expires():
    signer, now = LinkSigner("secret"), APPROVED_AT
    expires = signer.expiry(now, timedelta(minutes=5))
    signature = signer.signature("doc-1", expires)
    assert signer.ours("doc-1", expires, signature)
    assert not signer.ours("doc-2", expires, signature)  # another document
    assert not signer.ours("doc-1", expires + 60, signature)  # a longer life
    assert not LinkSigner("other").ours("doc-1", expires, signature)
    assert not signer.ours("doc-1", expires, "é" + signature[1:])  # not ASCII: refused, not an error
    assert not signer.expired(expires, now + timedelta(minutes=4))
    assert signer.expired(expires, now + timedelta(minutes=5))


# --- review depth --------------------------------------------------------------------------------------------
def test_a_return_names_the_fields_or_documents_to_correct():
    assert return_names_what_to_correct(["qualification", "degree", "degree"]) == ["qualification", "degree"]
    for bad in ([], ["password"]):
        with pytest.raises(ValueError):
            return_names_what_to_correct(bad)


def test_approval_needs_every_qualification_verified():
    approval_needs_verified_qualification("verified")
    for outcome in (None, "discrepancy"):
        with pytest.raises(QualificationNotVerified):
            approval_needs_verified_qualification(outcome)


def test_approval_waits_for_a_classification_difference_to_be_settled():
    approval_needs_fees_settled(False)
    with pytest.raises(FeesOutstanding):
        approval_needs_fees_settled(True)
