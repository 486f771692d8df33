"""Registration, activation by code and resending codes (on PostgreSQL too where SQL
compares times: tests marked `postgres`)."""

import time
from datetime import timedelta

import pytest

from mumaris_shared.broker import ConfirmingPublisher
from mumaris_shared.broker_access import service_url
from mumaris_shared.outbox import Relay
from mumaris_testing import assert_error

pytestmark = pytest.mark.integration


def test_migrated_service_is_alive_ready_and_documented(service, rabbitmq_url, monkeypatch):
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq_url)
    assert service.client.get("/healthz").json == {"status": "alive"}
    assert service.client.get("/readyz").json["checks"] == {"database": "ok", "broker": "ok"}
    paths = service.client.get("/openapi.json").json["paths"]
    assert {
        "/v1/accounts",
        "/v1/accounts/verify",
        "/v1/accounts/resend-code",
        "/v1/sessions",
        "/v1/me",
        "/.well-known/jwks.json",
    } <= set(paths)
    assert "mumaris_outbox_pending" in service.client.get("/metrics").get_data(as_text=True)


@pytest.mark.postgres
def test_register_verify_login_and_see_oneself(service):
    registered = service.register(email="  Sara@Example.com ")
    assert registered.status_code == 201
    account_id = registered.json["id"]
    assert registered.json == {"id": account_id, "email": "sara@example.com", "status": "pending_verification"}

    [issued] = service.events("accounts.verification_code_issued")
    assert issued["account_id"] == account_id and issued["language"] == "ar" and issued["valid_minutes"] == 10
    assert issued["expires_at"].endswith("Z")
    assert service.events("accounts.account_registered")[0]["account_id"] == account_id
    assert issued["code"] not in repr(service.snapshot()["verification_codes"])  # only its hash is kept

    verified = service.client.post("/v1/accounts/verify", json={"email": "SARA@example.com", "code": issued["code"]})
    assert (verified.status_code, verified.json) == (200, {"status": "active"})
    assert service.events("accounts.account_activated")[0]["account_id"] == account_id

    session = service.login(email="Sara@Example.com")
    assert session.status_code == 200
    assert session.json["token_type"] == "Bearer" and session.json["expires_in"] == 900
    me = service.client.get("/v1/me", headers={"Authorization": f"Bearer {session.json['access_token']}"})
    assert me.status_code == 200
    assert me.json == {
        "id": account_id,
        "full_name": "Sara Ali",
        "email": "sara@example.com",
        "roles": ["applicant"],
        "language": "ar",
        "status": "active",
        "mobile": "+966551234567",
        "national_id": "1234567890",
    }


def test_registration_events_reach_the_broker_through_the_relay(service, rabbitmq_url, event_waiter):
    account_id = service.register().json["id"]
    publisher = ConfirmingPublisher(service_url("accounts", rabbitmq_url)).start()
    try:
        assert publisher.wait_ready(30)
        assert Relay(service.runtime.outbox, publisher).relay_once() == 2
    finally:
        publisher.close()
    [issued] = event_waiter.wait_for(
        "accounts.verification_code_issued", where=lambda e: e.data["account_id"] == account_id
    )
    assert issued.producer == "accounts" and len(issued.data["code"]) == 6
    verified = service.client.post(
        "/v1/accounts/verify", json={"email": "sara@example.com", "code": issued.data["code"]}
    )
    assert verified.status_code == 200


VALID = {
    "full_name": "Sara Ali",
    "email": "sara@example.com",
    "password": "correct horse battery",
    "national_id": "1234567890",
    "mobile": "0551234567",
    "language": "en",
}


@pytest.mark.parametrize(
    "body, field",
    [
        ({k: v for k, v in VALID.items() if k != "mobile"}, "mobile"),
        ({**VALID, "role": "reviewer"}, "role"),
        ({**VALID, "email": "not-an-address"}, "email"),
        ({**VALID, "national_id": "3234567890"}, "national_id"),
        ({**VALID, "mobile": "+971501234567"}, "mobile"),
        ({**VALID, "language": "fr"}, "language"),
        ({**VALID, "full_name": "   "}, "full_name"),
        ({**VALID, "email": 42}, "email"),
    ],
    ids=[
        "missing field",
        "extra field",
        "invalid email",
        "invalid national id",
        "invalid mobile",
        "invalid language",
        "empty name",
        "email not a string",
    ],
)
def test_invalid_registration_is_refused_and_changes_nothing(service, body, field):
    before = service.snapshot()
    error = assert_error(service.client.post("/v1/accounts", json=body), 422, "validation_failed")
    assert field in error["details"]["fields"]
    assert service.snapshot() == before


def test_malformed_json_is_refused_and_changes_nothing(service):
    before = service.snapshot()
    response = service.client.post("/v1/accounts", data='{"email": ', content_type="application/json")
    assert_error(response, 400, "malformed_json")
    assert service.snapshot() == before


@pytest.mark.parametrize("password", ["too short", "x" * 129, "Sara@Example.com is mine", "my name is SARA!"])
def test_weak_password_is_refused_and_changes_nothing(service, password):
    before = service.snapshot()
    error = assert_error(service.register(password=password), 422, "weak_password")
    assert error["details"]["fields"]["password"]
    assert service.snapshot() == before


@pytest.mark.parametrize("email", ["sara@example.com", "SARA@Example.COM "])
def test_taken_email_is_refused_whatever_its_case_and_changes_nothing(service, email):
    service.register()
    before = service.snapshot()
    assert_error(service.register(email=email, national_id="2000000001"), 409, "email_taken")
    assert service.snapshot() == before


def test_wrong_code_spends_a_try_and_nothing_else(service):
    service.register()
    before = service.snapshot()
    wrong = "000000" if service.last_code() != "000000" else "111111"
    error = assert_error(
        service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": wrong}), 422, "wrong_code"
    )
    assert error["details"] == {}
    after = service.snapshot()
    assert {name: rows for name, rows in after.items() if name != "verification_codes"} == {
        name: rows for name, rows in before.items() if name != "verification_codes"
    }
    assert after["verification_codes"] != before["verification_codes"]  # the failed try counted


@pytest.mark.parametrize("address", ["unknown", "active"])
def test_an_address_with_no_pending_account_is_answered_like_a_wrong_code(service, address):
    service.register_active()
    wrong_for_a_pending_account = (
        service.register(email="pending@example.com"),
        service.client.post("/v1/accounts/verify", json={"email": "pending@example.com", "code": "000000"}),
    )[1]
    if service.last_code() == "000000":
        return  # one in a million: the "wrong" code was right
    email = "nobody@example.com" if address == "unknown" else "sara@example.com"
    before = service.snapshot()
    response = service.client.post("/v1/accounts/verify", json={"email": email, "code": "123456"})
    assert (response.status_code, response.json) == (
        wrong_for_a_pending_account.status_code,
        wrong_for_a_pending_account.json,
    )
    assert_error(response, 422, "wrong_code")
    assert service.snapshot() == before


def test_malformed_code_is_a_validation_error_and_spends_no_try(service):
    service.register()
    before = service.snapshot()
    response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": "12345a"})
    assert_error(response, 422, "validation_failed")
    assert service.snapshot() == before


def test_expired_code_is_gone_and_changes_nothing(service):
    service.register()
    service.clock.advance(timedelta(minutes=10))
    before = service.snapshot()
    response = service.client.post(
        "/v1/accounts/verify", json={"email": "sara@example.com", "code": service.last_code()}
    )
    assert_error(response, 410, "code_expired")
    assert service.snapshot() == before


def test_sixth_try_after_five_wrong_ones_needs_a_new_code(service):
    service.register()
    code = service.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(5):
        response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": wrong})
        assert_error(response, 422, "wrong_code")
    before = service.snapshot()
    response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": code})
    assert_error(response, 429, "too_many_attempts")
    assert service.snapshot() == before

    service.clock.advance(timedelta(minutes=1))
    assert service.client.post("/v1/accounts/resend-code", json={"email": "sara@example.com"}).status_code == 202
    response = service.client.post(
        "/v1/accounts/verify", json={"email": "sara@example.com", "code": service.last_code()}
    )
    assert response.status_code == 200


@pytest.mark.postgres
def test_resend_within_a_minute_is_too_soon_and_changes_nothing(service):
    service.register()
    service.clock.advance(timedelta(seconds=15))
    before = service.snapshot()
    response = service.client.post("/v1/accounts/resend-code", json={"email": "sara@example.com"})
    error = assert_error(response, 429, "too_soon")
    assert response.headers["Retry-After"] == "45" and error["details"] == {"retry_after_seconds": 45}
    assert service.snapshot() == before


def test_new_code_voids_the_old_one(service):
    service.register()
    old = service.last_code()
    service.clock.advance(timedelta(minutes=1))
    response = service.client.post("/v1/accounts/resend-code", json={"email": "sara@example.com"})
    assert (response.status_code, response.json) == (202, {"status": "sent"})
    new = service.last_code()
    assert len(service.events("accounts.verification_code_issued")) == 2
    if old != new:
        response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": old})
        assert_error(response, 422, "wrong_code")
    assert (
        service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": new}).status_code == 200
    )


@pytest.mark.postgres
def test_at_most_five_resends_an_hour(service):
    service.register()
    for _ in range(5):
        service.clock.advance(timedelta(minutes=1))
        assert service.client.post("/v1/accounts/resend-code", json={"email": "sara@example.com"}).status_code == 202
    service.clock.advance(timedelta(minutes=1))
    before = service.snapshot()
    response = service.client.post("/v1/accounts/resend-code", json={"email": "sara@example.com"})
    assert_error(response, 429, "too_soon")
    assert response.headers["Retry-After"] == str(55 * 60)
    assert service.snapshot() == before


@pytest.mark.parametrize("active", [False, True], ids=["unknown", "active"])
def test_resend_for_unknown_or_active_address_answers_sent_and_sends_nothing(service, active):
    if active:
        service.register_active()
    service.clock.advance(timedelta(minutes=1))
    before = service.snapshot()
    response = service.client.post(
        "/v1/accounts/resend-code", json={"email": "sara@example.com" if active else "nobody@example.com"}
    )
    assert (response.status_code, response.json) == (202, {"status": "sent"})
    after = service.snapshot()
    assert {k: v for k, v in after.items() if k != "code_requests"} == {
        k: v for k, v in before.items() if k != "code_requests"
    }


def test_any_address_is_held_to_the_resend_limits_so_too_soon_tells_nothing(service):
    service.register()
    service.clock.advance(timedelta(minutes=2))
    for email in ("sara@example.com", "nobody@example.com"):
        assert service.client.post("/v1/accounts/resend-code", json={"email": email}).status_code == 202
    service.clock.advance(timedelta(seconds=15))
    answers = [
        service.client.post("/v1/accounts/resend-code", json={"email": email})
        for email in ("sara@example.com", "nobody@example.com")
    ]
    assert [assert_error(answer, 429, "too_soon") for answer in answers] == [answers[0].json["error"]] * 2
    assert {answer.headers["Retry-After"] for answer in answers} == {"45"}


BODIES = {
    "accounts/verify": ("email", "code"),
    "accounts/resend-code": ("email",),
    "password/forgot": ("email",),
    "password/reset": ("email", "code", "password"),
}


@pytest.mark.parametrize("call", BODIES)
def test_verify_resend_and_reset_take_the_same_time_whether_or_not_the_address_has_an_account(service, call):
    from dataclasses import replace

    from accounts.app import create_app
    from accounts.settings import Settings

    floor = timedelta(milliseconds=250)
    client = create_app(
        service.runtime, clock=service.clock, settings=replace(Settings.from_env(), answer_time=floor)
    ).test_client()
    service.register_active()
    service.register(email="pending@example.com")
    service.clock.advance(timedelta(minutes=2))
    taken = {}
    for email in ("sara@example.com", "pending@example.com", "nobody@example.com"):
        body = {"email": email, "code": "000000", "password": "a brand new passphrase 9"}
        started = time.monotonic()
        client.post(f"/v1/{call}", json={field: body[field] for field in BODIES[call]})
        taken[email] = time.monotonic() - started
    # Each waits out the floor, which the work behind any of the answers is far below.
    assert min(taken.values()) >= floor.total_seconds(), taken
