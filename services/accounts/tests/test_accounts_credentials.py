"""A forgotten password reset by e-mailed code, a password changed, sessions renewed and ended, the
account's language, and the staff's look-up of accounts."""

import time
from datetime import timedelta

import pytest

from accounts.api import SERVICE_EXTENSION
from accounts.api.credentials import CREDENTIALS_EXTENSION
from accounts.domain.errors import SessionEnded
from mumaris_shared.auth import Principal
from mumaris_testing import assert_error

pytestmark = pytest.mark.integration

NEW_PASSWORD = "a brand new passphrase 9"
RESET_CODE_ISSUED = "accounts.password_reset_code_issued"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def forgot(service, email="sara@example.com"):
    return service.client.post("/v1/password/forgot", json={"email": email})


def reset(service, code, password=NEW_PASSWORD, email="sara@example.com"):
    return service.client.post("/v1/password/reset", json={"email": email, "code": code, "password": password})


def reset_code(service) -> str:
    return service.events(RESET_CODE_ISSUED)[-1]["code"]


def test_a_reset_code_sets_a_new_password_once_and_ends_every_session(service):
    account_id = service.register_active()
    old_token = service.login().json["access_token"]

    assert (forgot(service).status_code, forgot(service).json) == (202, {"status": "sent"})
    [issued] = service.events(RESET_CODE_ISSUED)  # the second ask, a moment later, sent nothing
    assert issued["account_id"] == account_id and issued["valid_minutes"] == 10
    assert issued["code"] not in repr(service.snapshot()["verification_codes"])

    done = reset(service, issued["code"])
    assert (done.status_code, done.json) == (200, {"status": "password_changed"})
    assert_error(service.client.get("/v1/me", headers=bearer(old_token)), 401, "session_ended")
    assert_error(service.login(), 401, "invalid_credentials")
    new_token = service.login(password=NEW_PASSWORD).json["access_token"]
    assert service.client.get("/v1/me", headers=bearer(new_token)).status_code == 200


def test_a_used_reset_code_does_not_work_twice(service):
    service.register_active()
    forgot(service)
    code = reset_code(service)
    assert reset(service, code).status_code == 200
    assert_error(reset(service, code, "yet another passphrase 3"), 422, "wrong_code")
    assert service.login(password=NEW_PASSWORD).status_code == 200


def test_forgot_answers_alike_and_no_sooner_whether_or_not_the_address_has_an_account(service):
    service.register_active()
    service.register(email="pending@example.com")
    answers = []
    for email in ("sara@example.com", "nobody@example.com", "pending@example.com"):
        started = time.monotonic()
        response = forgot(service, email)
        answers.append((response.status_code, response.json, time.monotonic() - started >= 0.25))
    assert answers == [(202, {"status": "sent"}, True)] * 3
    assert [event["email"] for event in service.events(RESET_CODE_ISSUED)] == ["sara@example.com"]


def test_reset_codes_follow_the_activation_code_policy(service):
    service.register_active()
    forgot(service)
    first = reset_code(service)
    service.clock.advance(timedelta(minutes=1))
    forgot(service)
    second = reset_code(service)
    assert_error(reset(service, first), 422, "wrong_code")  # a new code voids the old one
    wrong = "000000" if second != "000000" else "111111"
    left = [reset(service, wrong).json["error"]["details"]["attempts_left"] for _ in range(4)]
    assert left == [3, 2, 1, 0]  # the try with the voided code counted against the new one's five
    assert_error(reset(service, second), 429, "too_many_attempts")

    service.clock.advance(timedelta(minutes=1))
    forgot(service)
    service.clock.advance(timedelta(minutes=11))
    assert_error(reset(service, reset_code(service)), 410, "code_expired")


def test_a_weak_new_password_spends_no_try_and_keeps_the_code(service):
    service.register_active()
    forgot(service)
    code = reset_code(service)
    before = service.snapshot()
    assert_error(reset(service, code, "short"), 422, "weak_password")
    assert service.snapshot() == before
    assert reset(service, code).status_code == 200


def test_an_unknown_address_is_answered_like_a_wrong_code(service):
    assert reset(service, "123456", email="nobody@example.com").json["error"]["details"] == {"attempts_left": 4}


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(service):
    service.register_active()
    other, mine = (service.login().json["access_token"] for _ in range(2))
    change = lambda current: service.client.post(
        "/v1/me/password", json={"current_password": current, "password": NEW_PASSWORD}, headers=bearer(mine)
    )
    error = assert_error(change("not my password"), 422, "wrong_password")
    assert "current_password" in error["details"]["fields"]
    changed = change("correct horse battery")
    assert changed.status_code == 200 and changed.json["token_type"] == "Bearer"
    assert_error(service.client.get("/v1/me", headers=bearer(other)), 401, "session_ended")
    assert service.client.get("/v1/me", headers=bearer(changed.json["access_token"])).status_code == 200
    assert service.login(password=NEW_PASSWORD).status_code == 200


def test_a_session_is_renewed_until_its_maximum_age(service):
    account_id = service.register_active()
    token = service.login().json["access_token"]
    renewed = service.client.post("/v1/sessions/renew", headers=bearer(token))
    assert renewed.status_code == 200
    credentials = service.client.application.extensions[CREDENTIALS_EXTENSION]
    too_old = service.clock() - timedelta(hours=12)
    with pytest.raises(SessionEnded) as ended:
        credentials.renew_session(
            Principal(account_id, ("applicant",), claims={"sv": 0, "auth_time": too_old.timestamp()})
        )
    assert ended.value.code == "session_ended"


def test_the_account_holder_changes_their_language(service):
    service.register_active()
    token = service.login().json["access_token"]
    changed = service.client.patch("/v1/me", json={"language": "en"}, headers=bearer(token))
    assert changed.status_code == 200 and changed.json["language"] == "en"
    assert_error(
        service.client.patch("/v1/me", json={"language": "fr"}, headers=bearer(token)), 422, "validation_failed"
    )


def test_staff_find_accounts_by_national_id_name_or_id_and_applicants_cannot(service):
    sara = service.register_active()
    service.register(email="omar@example.com", full_name="Omar Khalid", national_id="2098765432")
    accounts = service.client.application.extensions[SERVICE_EXTENSION]
    accounts.create_staff(
        email="rev@example.com", password="a long staff passphrase", role="reviewer", full_name="Rev", language="ar"
    )
    staff = bearer(service.login("rev@example.com", "a long staff passphrase").json["access_token"])
    find = lambda query, headers=staff: service.client.get(f"/v1/accounts?{query}", headers=headers)

    assert [a["full_name"] for a in find("national_id=2098765432").json] == ["Omar Khalid"]
    assert [a["email"] for a in find("name=sara").json] == ["sara@example.com"]
    assert [a["id"] for a in find(f"id={sara}&id=unknown").json] == [sara]
    assert find("name=nobody").json == []
    assert_error(find(""), 422, "validation_failed")
    applicant = bearer(service.login().json["access_token"])
    assert_error(find("name=omar", applicant), 403, "forbidden")
