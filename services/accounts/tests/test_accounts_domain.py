"""One test per accounts rule (domain/), each named for the rule."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.domain import passwords, sessions
from accounts.domain.codes import (
    CodeHasher,
    CodePolicy,
    IssuedCode,
    Verdict,
    check_code,
    new_code,
    normalise_code,
    resend_wait,
)
from accounts.domain.throttling import LoginThrottle, retry_after_seconds, window_wait
from mumaris_shared.identity import normalise_email, normalise_full_name, normalise_mobile, normalise_national_id

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
POLICY = CodePolicy()
HASHER = CodeHasher(b"a test secret of enough length")


def issued(code="123456", *, expires_at=NOW + timedelta(minutes=10), failed_attempts=0):
    return IssuedCode(code_hash=HASHER.hash(code), expires_at=expires_at, failed_attempts=failed_attempts)


# --- identity ---------------------------------------------------------------------------------------
def test_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Sara.Ali@Example.COM \n") == "sara.ali@example.com"


def test_full_name_white_space_is_collapsed_and_empty_names_refused():
    assert normalise_full_name("  Sara   Ali ") == "Sara Ali"
    with pytest.raises(ValueError):
        normalise_full_name("   ")
    with pytest.raises(ValueError):
        normalise_full_name("x" * 201)


@pytest.mark.parametrize("national_id", ["1234567890", "2000000001"])
def test_national_id_is_ten_digits_starting_with_1_or_2(national_id):
    assert normalise_national_id(national_id) == national_id


@pytest.mark.parametrize("national_id", ["3234567890", "123456789", "12345678901", "12345abcde", "1²34567890"])
def test_national_id_of_another_shape_is_refused(national_id):
    with pytest.raises(ValueError):
        normalise_national_id(national_id)


@pytest.mark.parametrize("mobile", ["0551234567", "966551234567", "+966551234567", "055 123 4567", "+966-55-123-4567"])
def test_saudi_mobile_is_stored_in_e164(mobile):
    assert normalise_mobile(mobile) == "+966551234567"


def test_digits_typed_on_an_arabic_keyboard_are_read_as_digits():
    assert normalise_national_id("١٢٣٤٥٦٧٨٩٠") == "1234567890"
    assert normalise_mobile("۰۵۵۱۲۳۴۵۶۷") == "+966551234567"
    assert normalise_code(" ١٢٣٤٥٦ ") == "123456"


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", "¹23456", ""])
def test_code_that_is_not_six_digits_is_refused(code):
    with pytest.raises(ValueError):
        normalise_code(code)


@pytest.mark.parametrize("mobile", ["0451234567", "055123456", "05512345678", "+971551234567", "+9660551234567", ""])
def test_non_saudi_or_malformed_mobile_is_refused(mobile):
    with pytest.raises(ValueError):
        normalise_mobile(mobile)


# --- passwords --------------------------------------------------------------------------------------
def test_password_of_ten_to_128_characters_not_holding_the_email_is_accepted():
    assert passwords.password_problems("correct horse", "sara@example.com") == []
    assert passwords.password_problems("x" * 128, "sara@example.com") == []


def test_password_shorter_than_ten_characters_is_weak():
    assert passwords.password_problems("x" * 9, "sara@example.com")


def test_password_longer_than_128_characters_is_weak():
    assert passwords.password_problems("x" * 129, "sara@example.com")


def test_password_containing_the_email_is_weak_whatever_the_case():
    assert passwords.password_problems("my SARA@Example.com!", "sara@example.com")


def test_password_containing_the_email_local_part_is_weak_whatever_the_case():
    assert passwords.password_problems("iamSaraAli2026", "saraali@example.com")


def test_short_email_local_part_is_not_held_against_the_password():
    assert passwords.password_problems("all good passwords", "al@example.com") == []


def test_weak_password_raises_with_its_problems():
    with pytest.raises(passwords.WeakPassword) as raised:
        passwords.check_password_policy("short", "sara@example.com")
    assert raised.value.problems


def test_password_is_kept_as_an_argon2id_hash_that_verifies_only_the_same_password():
    password_hash = passwords.hash_password("correct horse battery")
    assert password_hash.startswith("$argon2id$")
    assert passwords.verify_password(password_hash, "correct horse battery")
    assert not passwords.verify_password(password_hash, "correct horse battery!")
    assert not passwords.verify_password("not a hash", "correct horse battery")


def test_checking_a_password_without_an_account_always_fails():
    assert passwords.verify_without_account("anything at all") is False


# --- verification codes -----------------------------------------------------------------------------
def test_code_is_six_digits_from_a_secure_source():
    codes = {new_code() for _ in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150  # random, not a sequence or a constant


def test_only_a_keyed_hash_of_the_code_is_kept():
    code_hash = HASHER.hash("123456")
    assert "123456" not in code_hash
    assert HASHER.matches("123456", code_hash)
    assert CodeHasher(b"another secret of enough length").hash("123456") != code_hash


def test_right_code_before_expiry_is_accepted():
    assert check_code(issued(), "123456", HASHER, POLICY, NOW).verdict is Verdict.ACCEPTED


def test_wrong_code_spends_a_try():
    check = check_code(issued(failed_attempts=1), "654321", HASHER, POLICY, NOW)
    assert (check.verdict, check.attempts_left) == (Verdict.WRONG, 3)


def test_fifth_wrong_try_leaves_no_attempts():
    check = check_code(issued(failed_attempts=4), "654321", HASHER, POLICY, NOW)
    assert (check.verdict, check.attempts_left) == (Verdict.WRONG, 0)


def test_sixth_wrong_try_needs_a_new_code():
    assert check_code(issued(failed_attempts=5), "654321", HASHER, POLICY, NOW).verdict is Verdict.EXHAUSTED


def test_after_five_wrong_tries_even_the_right_code_needs_a_new_code():
    assert check_code(issued(failed_attempts=5), "123456", HASHER, POLICY, NOW).verdict is Verdict.EXHAUSTED


def test_code_is_valid_for_ten_minutes():
    code = issued(expires_at=NOW + POLICY.ttl)
    assert (
        check_code(code, "123456", HASHER, POLICY, NOW + timedelta(minutes=9, seconds=59)).verdict is Verdict.ACCEPTED
    )
    assert check_code(code, "123456", HASHER, POLICY, NOW + timedelta(minutes=10)).verdict is Verdict.EXPIRED


def test_no_current_code_is_answered_as_expired():
    # single use: once used (or voided by a newer one) a code is no longer current
    assert check_code(None, "123456", HASHER, POLICY, NOW).verdict is Verdict.EXPIRED


def test_valid_minutes_round_up():
    assert CodePolicy(ttl=timedelta(minutes=10)).valid_minutes == 10
    assert CodePolicy(ttl=timedelta(seconds=30)).valid_minutes == 1


def test_resend_is_allowed_a_minute_after_the_last_code():
    assert resend_wait(NOW - timedelta(minutes=1), [], POLICY, NOW) is None


def test_resend_within_a_minute_waits_for_the_rest_of_it():
    assert resend_wait(NOW - timedelta(seconds=20), [], POLICY, NOW) == timedelta(seconds=40)


def test_sixth_resend_within_an_hour_waits_until_the_oldest_leaves_the_hour():
    resends = [NOW - timedelta(minutes=minutes) for minutes in (50, 40, 30, 20, 10)]
    assert resend_wait(resends[-1], resends, POLICY, NOW) == timedelta(minutes=10)
    assert resend_wait(resends[-1], resends[1:], POLICY, NOW) is None


# --- throttling -------------------------------------------------------------------------------------
def test_window_wait_is_none_below_the_limit_and_counts_only_the_window():
    window = timedelta(minutes=15)
    assert window_wait([NOW - timedelta(minutes=1)] * 4, 5, window, NOW) is None
    assert window_wait([NOW - timedelta(minutes=20)] * 5, 5, window, NOW) is None


def test_retry_after_rounds_up_to_whole_seconds():
    assert retry_after_seconds(timedelta(seconds=1.2)) == 2
    assert retry_after_seconds(timedelta(0)) == 1


def test_five_failed_logins_within_fifteen_minutes_make_the_next_wait():
    throttle = LoginThrottle()
    failures = [(NOW - timedelta(minutes=minutes), False) for minutes in (14, 10, 6, 4, 2)]
    assert throttle.wait(failures[1:], NOW) is None
    assert throttle.wait(failures, NOW) == timedelta(minutes=1)


def test_failed_logins_older_than_the_window_do_not_count():
    failures = [(NOW - timedelta(minutes=16), False)] + [(NOW - timedelta(minutes=1), False)] * 4
    assert LoginThrottle().wait(failures, NOW) is None


def test_successful_login_clears_the_failures_before_it():
    attempts = [(NOW - timedelta(minutes=10), False)] * 4 + [
        (NOW - timedelta(minutes=5), True),
        (NOW - timedelta(minutes=1), False),
    ]
    assert LoginThrottle().wait(attempts, NOW) is None


# --- sessions ---------------------------------------------------------------------------------------
def test_a_token_from_before_the_last_password_change_is_not_current():
    assert sessions.is_current(2, 2) and sessions.is_current(None, 0)
    assert not sessions.is_current(1, 2) and not sessions.is_current(None, 1)


def test_a_session_is_renewed_only_within_its_maximum_age():
    assert sessions.may_renew(NOW - timedelta(hours=11), NOW, timedelta(hours=12))
    assert not sessions.may_renew(NOW - timedelta(hours=12), NOW, timedelta(hours=12))
