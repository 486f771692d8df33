"""Registration, activation by code and resending codes (on PostgreSQL too where SQL
compares times: tests marked `postgres`)."""

from datetime import timedelta

import pytest

from mumaris_shared.broker import ConfirmingPublisher
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
    publisher = ConfirmingPublisher(rabbitmq_url).start()
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
    assert error["details"] == {"attempts_left": 4}
    after = service.snapshot()
    assert {name: rows for name, rows in after.items() if name != "verification_codes"} == {
        name: rows for name, rows in before.items() if name != "verification_codes"
    }
    assert after["verification_codes"] != before["verification_codes"]  # the failed try counted


def test_unknown_email_is_answered_like_a_wrong_code(service):
    before = service.snapshot()
    response = service.client.post("/v1/accounts/verify", json={"email": "nobody@example.com", "code": "123456"})
    assert assert_error(response, 422, "wrong_code")["details"] == {"attempts_left": 4}
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
    for attempts_left in (4, 3, 2, 1, 0):
        response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": wrong})
        assert assert_error(response, 422, "wrong_code")["details"] == {"attempts_left": attempts_left}
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


def test_verifying_an_active_account_is_a_conflict(service):
    service.register_active()
    response = service.client.post("/v1/accounts/verify", json={"email": "sara@example.com", "code": "123456"})
    assert_error(response, 409, "already_active")


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
def test_resend_for_unknown_or_active_address_answers_sent_and_does_nothing(service, active):
    if active:
        service.register_active()
    service.clock.advance(timedelta(minutes=1))
    before = service.snapshot()
    response = service.client.post(
        "/v1/accounts/resend-code", json={"email": "sara@example.com" if active else "nobody@example.com"}
    )
    assert (response.status_code, response.json) == (202, {"status": "sent"})
    assert service.snapshot() == before
