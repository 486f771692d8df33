"""Logging in, the tokens accounts signs, the keys it publishes, and who may see /v1/me."""

import base64
import json
import threading
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import TOKEN_AUDIENCE, TOKEN_ISSUER
from mumaris_shared.events import utcnow
from mumaris_testing import assert_error

pytestmark = pytest.mark.integration


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_carries_the_agreed_claims_and_kid(service):
    account_id = service.register_active()
    token = service.login().json["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == TOKEN_ISSUER and claims["aud"] == TOKEN_AUDIENCE
    assert claims["sub"] == account_id and claims["email"] == "sara@example.com"
    assert claims["roles"] == ["applicant"] and claims["exp"] - claims["iat"] == 900 and claims["jti"]


def test_login_before_activation_is_forbidden(service):
    service.register()
    before = service.snapshot()
    assert_error(service.login(), 403, "not_active")
    after = service.snapshot()
    assert {k: v for k, v in after.items() if k != "login_attempts"} == {
        k: v for k, v in before.items() if k != "login_attempts"
    }


@pytest.mark.parametrize(
    "email, password",
    [("sara@example.com", "wrong horse battery"), ("nobody@example.com", "correct horse battery")],
    ids=["wrong password", "unknown email"],
)
def test_wrong_credentials_are_unauthorised_and_only_the_try_is_recorded(service, email, password):
    service.register_active()
    before = service.snapshot()
    assert_error(service.login(email, password), 401, "invalid_credentials")
    after = service.snapshot()
    assert len(after["login_attempts"]) == len(before["login_attempts"]) + 1
    assert {k: v for k, v in after.items() if k != "login_attempts"} == {
        k: v for k, v in before.items() if k != "login_attempts"
    }


@pytest.mark.postgres
def test_sixth_login_after_five_failures_waits_even_with_the_right_password(service):
    service.register_active()
    for _ in range(5):
        service.clock.advance(timedelta(minutes=1))
        assert_error(service.login(password="wrong horse battery"), 401, "invalid_credentials")
    before = service.snapshot()
    response = service.login()
    assert_error(response, 429, "too_many_attempts")
    assert response.headers["Retry-After"] == str(11 * 60)  # the first failure leaves the window in 11 minutes
    assert service.snapshot() == before
    service.clock.advance(timedelta(minutes=11))
    assert service.login().status_code == 200


@pytest.mark.postgres
def test_login_throttle_is_shared_by_every_replica(service, database_url):
    from accounts.app import create_app
    from accounts.bootstrap import runtime

    service.register_active()
    other_runtime = runtime(database_url)
    try:
        other_replica = create_app(other_runtime, clock=service.clock).test_client()
        for client in (service.client, other_replica) * 2 + (service.client,):
            client.post("/v1/sessions", json={"email": "sara@example.com", "password": "wrong horse battery"})
        response = other_replica.post(
            "/v1/sessions", json={"email": "sara@example.com", "password": "correct horse battery"}
        )
        assert_error(response, 429, "too_many_attempts")
    finally:
        other_runtime.db.dispose()


def test_me_without_a_token_is_unauthenticated(service):
    assert_error(service.client.get("/v1/me"), 401, "unauthenticated")


def test_tampered_token_is_refused(service):
    service.register_active()
    token = service.login().json["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["secretary_general"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_error(service.client.get("/v1/me", headers=bearer(f"{header}.{forged}.{signature}")), 401, "invalid_token")


def test_expired_token_is_refused(service):
    service.register_active()
    service.clock.now = utcnow() - timedelta(hours=1)  # a token from an hour ago lived 15 minutes
    token = service.login().json["access_token"]
    assert_error(service.client.get("/v1/me", headers=bearer(token)), 401, "token_expired")


def test_unsigned_token_is_refused(service):
    account_id = service.register_active()
    kid = jwt.get_unverified_header(service.login().json["access_token"])["kid"]
    now = int(utcnow().timestamp())
    claims = {
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "sub": account_id,
        "roles": ["applicant"],
        "iat": now,
        "exp": now + 600,
    }
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    assert_error(service.client.get("/v1/me", headers=bearer(unsigned)), 401, "invalid_token")


def test_token_signed_with_another_key_under_our_kid_is_refused(service):
    account_id = service.register_active()
    kid = jwt.get_unverified_header(service.login().json["access_token"])["kid"]
    now = int(utcnow().timestamp())
    claims = {"iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "sub": account_id, "iat": now, "exp": now + 600}
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for headers in ({"kid": kid}, {"kid": "no-such-key"}):
        token = jwt.encode(claims, stranger, algorithm="RS256", headers=headers)
        assert_error(service.client.get("/v1/me", headers=bearer(token)), 401, "invalid_token")


def test_jwks_publishes_the_public_key_that_verifies_tokens(service):
    account_id = service.register_active()
    token = service.login().json["access_token"]
    jwks = service.client.get("/.well-known/jwks.json").json
    [key] = jwks["keys"]
    assert {key["kty"], key["use"], key["alg"]} == {"RSA", "sig", "RS256"} and key["n"] and key["e"]
    assert key["kid"] == jwt.get_unverified_header(token)["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # nothing private

    server = make_server("127.0.0.1", 0, service.client.application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
        signing_key = jwt.PyJWKClient(url).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, signing_key.key, algorithms=["RS256"], audience=TOKEN_AUDIENCE, issuer=TOKEN_ISSUER)
        assert claims["sub"] == account_id
        principal = TokenVerifier(jwks_url=url).verify(token)  # what the other services do
        assert (principal.id, principal.roles) == (account_id, ("applicant",))
    finally:
        server.shutdown()
        thread.join(5)


def test_jwks_makes_the_first_key_when_there_is_none(service):
    assert len(service.client.get("/.well-known/jwks.json").json["keys"]) == 1
    assert len(service.client.get("/.well-known/jwks.json").json["keys"]) == 1
