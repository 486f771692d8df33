"""A practitioner's first steps, through the gateway, as `make run` serves them."""

import base64
import json

import pytest

pytestmark = pytest.mark.e2e


def test_register_activate_with_the_mailed_code_log_in_and_read_me_in_arabic(gateway):
    person, response = gateway.register(language="ar")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "pending_verification" and created["email"] == person["email"]

    mail = gateway.code_mail(person["email"])
    assert any("\u0600" <= ch <= "\u06ff" for ch in mail["subject"]), mail["subject"]  # Arabic subject
    assert 'dir="rtl"' in mail["html"] and gateway.code_for(person["email"]) in mail["html"]

    too_early = gateway.call(
        "POST", "/api/accounts/v1/sessions", json={"email": person["email"], "password": person["password"]}
    )
    gateway.expect_error(too_early, 403, "not_active")

    verified = gateway.call(
        "POST",
        "/api/accounts/v1/accounts/verify",
        json={"email": person["email"], "code": gateway.code_for(person["email"])},
    )
    assert verified.status_code == 200 and verified.json()["status"] == "active"

    login = gateway.call(
        "POST", "/api/accounts/v1/sessions", json={"email": person["email"].upper(), "password": person["password"]}
    )
    assert login.status_code == 200, login.text
    session = login.json()
    assert session["token_type"] == "Bearer" and session["expires_in"] > 0

    me = gateway.call("GET", "/api/accounts/v1/me", token=session["access_token"])
    assert me.status_code == 200
    assert {k: me.json()[k] for k in ("id", "full_name", "email", "roles", "language")} == {
        "id": created["id"],
        "full_name": person["full_name"],
        "email": person["email"],
        "roles": ["applicant"],
        "language": "ar",
    }


def test_an_english_speaker_gets_the_code_in_english(gateway):
    person, response = gateway.register(language="en")
    assert response.status_code == 201
    mail = gateway.code_mail(person["email"])
    assert not any("\u0600" <= ch <= "\u06ff" for ch in mail["subject"]) and "Mumaris" in mail["subject"]


def test_the_public_keys_verify_the_issued_token(gateway):
    import jwt

    _person, token = gateway.active_account()
    jwks = gateway.call("GET", "/api/accounts/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == kid]
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="mumaris")
    assert claims["roles"] == ["applicant"]


def test_every_service_answers_health_and_openapi_through_the_gateway(gateway):
    for service in ("accounts", "applications", "billing", "notifications"):
        assert gateway.call("GET", f"/api/{service}/healthz").json() == {"status": "alive"}
        assert gateway.call("GET", f"/api/{service}/readyz").json()["status"] == "ready"
        assert gateway.call("GET", f"/api/{service}/openapi.json").json()["info"]["title"] == f"Mumaris {service}"


def test_bad_input_gets_the_error_shape_and_changes_nothing(gateway):
    person, response = gateway.register()
    assert response.status_code == 201
    code = gateway.code_for(person["email"])
    accounts = "/api/accounts/v1/accounts"
    valid = {k: person[k] for k in ("full_name", "password", "national_id", "mobile", "language")}

    gateway.expect_error(gateway.call("POST", accounts, data="{not json"), 400, "malformed_json")
    missing = gateway.expect_error(
        gateway.call("POST", accounts, json={"email": "x@example.sa"}), 422, "validation_failed"
    )
    assert "password" in missing["details"]["fields"]
    extra = gateway.expect_error(
        gateway.call("POST", accounts, json=valid | {"email": "new@example.sa", "is_admin": True}),
        422,
        "validation_failed",
    )
    assert "is_admin" in extra["details"]["fields"]
    gateway.expect_error(
        gateway.call("POST", accounts, json=valid | {"email": "not-an-email"}), 422, "validation_failed"
    )
    gateway.expect_error(
        gateway.call("POST", accounts, json=valid | {"email": "weak@example.sa", "password": "short"}),
        422,
        "weak_password",
    )
    gateway.expect_error(
        gateway.call("POST", accounts, json=valid | {"email": person["email"].upper()}), 409, "email_taken"
    )

    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    gateway.expect_error(
        gateway.call("POST", f"{accounts}/verify", json={"email": person["email"], "code": wrong}), 422, "wrong_code"
    )
    gateway.expect_error(
        gateway.call("POST", f"{accounts}/resend-code", json={"email": person["email"]}), 429, "too_soon"
    )
    gateway.expect_error(
        gateway.call(
            "POST", "/api/accounts/v1/sessions", json={"email": person["email"], "password": "wrong password 123"}
        ),
        401,
        "invalid_credentials",
    )

    # nothing above changed the account: one code e-mail, and that code still activates it
    assert len(gateway.mails_to(person["email"])) == 1
    assert gateway.call("POST", f"{accounts}/verify", json={"email": person["email"], "code": code}).status_code == 200


def test_forged_tokens_are_refused(gateway):
    _person, token = gateway.active_account()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"roles": ["reviewer"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    gateway.expect_error(
        gateway.call("GET", "/api/accounts/v1/me", token=f"{header}.{forged}.{signature}"), 401, "invalid_token"
    )
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    gateway.expect_error(
        gateway.call("GET", "/api/accounts/v1/me", token=f"{none_header}.{payload}."), 401, "invalid_token"
    )
    gateway.expect_error(gateway.call("GET", "/api/accounts/v1/me"), 401, "unauthenticated")


def test_the_gateway_answers_unknown_paths_in_the_error_shape(gateway):
    gateway.expect_error(gateway.call("GET", "/api/nowhere/v1/things"), 404, "not_found")
