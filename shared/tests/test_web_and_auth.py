"""The web layer every service shares: one error shape, health, OpenAPI, and token checks."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from mumaris_shared.auth import TokenVerifier, current_principal, require_roles
from mumaris_shared.config import TOKEN_AUDIENCE, TOKEN_ISSUER
from mumaris_shared.db import Database
from mumaris_shared.errors import Unauthenticated
from mumaris_shared.schemas import Strict, decision_rules
from mumaris_shared.web import create_service_app, refusals
from mumaris_testing import wait_until
from mumaris_testing.http import json_server

pytestmark = pytest.mark.unit

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GreetingSchema(Schema):
    name = fields.String(required=True)


class DecisionSchema(Strict):
    class Meta(Strict.Meta):
        openapi = decision_rules()

    decision = fields.String(required=True)
    reason = fields.String()


def _app(tmp_path):
    blueprint = Blueprint("demo", __name__, url_prefix="/v1")

    @blueprint.post("/greetings")
    @blueprint.arguments(GreetingSchema)
    def greet(body):
        return {"hello": body["name"]}

    @blueprint.get("/whoami")
    @require_roles()
    def whoami():
        return {"id": current_principal().id}

    @blueprint.get("/review-queue")
    @require_roles("reviewer")
    def queue():
        return {"items": []}

    @blueprint.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @blueprint.post("/items/<item_id>/decision")
    @blueprint.doc(security=[{"bearer": []}])
    @require_roles("reviewer")
    @blueprint.arguments(DecisionSchema)
    @refusals(blueprint, 409)
    def decide(body, item_id):
        return {"item": item_id}

    verifier = TokenVerifier(key_for_kid=lambda kid: {"k1": KEY.public_key()}[kid])
    app = create_service_app(
        "demo", db=Database(f"sqlite:///{tmp_path / 'demo.db'}"), verifier=verifier, blueprints=[blueprint]
    )
    return app.test_client()


def _token(key=KEY, kid="k1", roles=("applicant",), expires_in=timedelta(minutes=5), **overrides):
    now = datetime.now(UTC)
    claims = {
        "sub": "user-1",
        "roles": list(roles),
        "iss": TOKEN_ISSUER,
        "aud": TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + expires_in,
    } | overrides
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_valid_body_is_accepted(tmp_path):
    assert _app(tmp_path).post("/v1/greetings", json={"name": "Sara"}).json == {"hello": "Sara"}


def test_malformed_json_is_a_400_in_the_error_shape(tmp_path):
    response = _app(tmp_path).post("/v1/greetings", data="{oops", content_type="application/json")
    _assert_error(response, 400, "malformed_json")


def test_missing_and_extra_fields_are_422_naming_the_fields(tmp_path):
    error = _assert_error(_app(tmp_path).post("/v1/greetings", json={"nom": "x"}), 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"name", "nom"}


def test_unknown_route_and_unexpected_errors_keep_the_shape_and_hide_internals(tmp_path):
    client = _app(tmp_path)
    _assert_error(client.get("/v1/nowhere"), 404, "not_found")
    error = _assert_error(client.get("/v1/boom"), 500, "internal_error")
    assert "secret" not in json.dumps(error)


def test_health_and_openapi(tmp_path):
    client = _app(tmp_path)
    assert client.get("/healthz").json == {"status": "alive"}
    spec = client.get("/openapi.json").json
    assert "/v1/greetings" in spec["paths"] and spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "mumaris_http_requests_total" in client.get("/metrics").get_data(as_text=True)


def test_metrics_count_each_endpoint_and_status_and_time_them(tmp_path):
    client = _app(tmp_path)
    for _ in range(3):
        client.get("/healthz")
    client.get("/v1/nowhere")
    metrics = client.get("/metrics").get_data(as_text=True)
    healthz = 'method="GET",service="demo"'

    def value(name: str, *labels: str) -> float:
        [line] = [line for line in metrics.splitlines() if line.startswith(name) and all(x in line for x in labels)]
        return float(line.rsplit(" ", 1)[1])

    assert value("mumaris_http_requests_total{", 'endpoint="/healthz"', 'status="200"') == 3
    assert value("mumaris_http_requests_total{", 'endpoint="unmatched"', 'status="404"') == 1
    assert value("mumaris_http_request_seconds_count{", 'endpoint="/healthz"', healthz) == 3
    assert value("mumaris_http_request_seconds_sum{", 'endpoint="/healthz"', healthz) > 0


def test_a_valid_token_identifies_the_caller(tmp_path):
    assert _app(tmp_path).get("/v1/whoami", headers=_bearer(_token())).json == {"id": "user-1"}


def test_no_token_is_401(tmp_path):
    _assert_error(_app(tmp_path).get("/v1/whoami"), 401, "unauthenticated")


def test_expired_token_is_401(tmp_path):
    _assert_error(
        _app(tmp_path).get("/v1/whoami", headers=_bearer(_token(expires_in=timedelta(seconds=-1)))),
        401,
        "token_expired",
    )


def test_tampered_token_is_401(tmp_path):
    header, payload, signature = _token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "==")) | {"roles": ["reviewer"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    _assert_error(
        _app(tmp_path).get("/v1/whoami", headers=_bearer(f"{header}.{forged}.{signature}")), 401, "invalid_token"
    )


def test_alg_none_token_is_401(tmp_path):
    unsigned = jwt.encode(
        {"sub": "user-1", "roles": ["reviewer"], "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE},
        None,
        algorithm="none",
        headers={"kid": "k1"},
    )
    _assert_error(_app(tmp_path).get("/v1/whoami", headers=_bearer(unsigned)), 401, "invalid_token")


# Signed when the test runs, not when it is collected: a token made at collection could expire
# before its test runs, and each xdist worker would sign (and name) it differently.
@pytest.mark.parametrize(
    "how",
    [
        {"key": OTHER_KEY},  # signed by someone else
        {"kid": "unknown"},  # a key we never published
        {"aud": "another-system"},  # meant for someone else
        {"iss": "someone-else"},
    ],
    ids=["another key", "unknown kid", "another audience", "another issuer"],
)
def test_tokens_not_ours_are_401(tmp_path, how):
    _assert_error(_app(tmp_path).get("/v1/whoami", headers=_bearer(_token(**how))), 401, "invalid_token")


def test_a_role_the_route_requires_is_checked(tmp_path):
    client = _app(tmp_path)
    _assert_error(client.get("/v1/review-queue", headers=_bearer(_token())), 403, "forbidden")
    assert client.get("/v1/review-queue", headers=_bearer(_token(roles=("reviewer",)))).status_code == 200


@pytest.fixture
def jwks():
    """A JWKS endpoint publishing `published` (k1 at first): (its URL, published, the paths fetched)."""
    published = {"keys": [{**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1"}]}
    fetches = []

    def answer(request):
        fetches.append(request.path)
        return published

    with json_server(answer) as url:
        yield f"{url}/jwks", published, fetches


def _refused(verifier, token) -> bool:
    try:
        verifier.verify(token)
    except Unauthenticated:
        return True
    return False


def test_a_key_withdrawn_from_the_jwks_stops_verifying_within_the_refresh_interval(jwks):
    url, published, fetches = jwks
    verifier = TokenVerifier(jwks_url=url, refresh=timedelta(seconds=1))
    now = datetime.now(UTC)
    claims = {"sub": "u1", "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "iat": now, "exp": now + timedelta(hours=1)}
    token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).id == "u1" and verifier.verify(token).id == "u1"
    assert len(fetches) == 1  # the set is cached between refreshes

    # accounts revokes k1 (and signs with another key)
    published["keys"] = [{**jwt.algorithms.RSAAlgorithm.to_jwk(OTHER_KEY.public_key(), as_dict=True), "kid": "k2"}]
    wait_until(lambda: _refused(verifier, token), timeout=10, interval=0.1)
    assert 2 <= len(fetches) <= 4  # read again once the refresh interval passed, not on every call


def test_a_token_is_verified_once_per_read_of_the_keys_and_refused_once_expired(jwks, monkeypatch):
    url, _published, _fetches = jwks
    verifier = TokenVerifier(jwks_url=url, refresh=timedelta(hours=1))
    decoded = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: decoded.append(1) or real_decode(*args, **kwargs))
    now = datetime.now(UTC)
    claims = {"sub": "u1", "iss": TOKEN_ISSUER, "aud": TOKEN_AUDIENCE, "iat": now, "exp": now + timedelta(seconds=2)}
    token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
    assert [verifier.verify(token).id for _ in range(3)] == ["u1"] * 3
    assert len(decoded) == 1  # the same token again: already verified against these keys
    other = jwt.encode({**claims, "sub": "u2"}, KEY, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(other).id == "u2" and len(decoded) == 2
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert _refused(verifier, tampered)  # another string: verified, and refused
    wait_until(lambda: _refused(verifier, token), timeout=10, interval=0.1)  # expired: no longer taken as verified


def test_a_key_rotated_in_verifies_its_tokens_at_once_not_when_the_set_is_next_read():
    from mumaris_shared.errors import Unauthenticated
    from mumaris_testing import wait_until
    from mumaris_testing.http import json_server

    def jwk(key, kid):
        return {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid}

    published = {"keys": [jwk(KEY, "k1")]}
    with json_server(lambda request: published) as url:
        verifier = TokenVerifier(jwks_url=f"{url}/jwks", refresh=timedelta(hours=1))
        assert verifier.verify(_token()).id == "user-1"
        published["keys"] = [jwk(KEY, "k1"), jwk(OTHER_KEY, "k2")]  # accounts rotates: k2 signs from now on
        rotated = _token(key=OTHER_KEY, kid="k2")

        def verified():
            try:
                return verifier.verify(rotated).id == "user-1"
            except Unauthenticated:
                return False

        wait_until(verified, timeout=5, interval=0.2)  # within the unknown kid's cooldown (1 s), not an hour


def test_the_openapi_document_promises_the_one_error_shape_and_every_refusal(tmp_path):
    spec = _app(tmp_path).get("/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert sorted(detail["required"]) == ["code", "details", "message"]
    operations = [op for path in spec["paths"].values() for method, op in path.items() if method != "parameters"]
    assert all("default" not in op["responses"] for op in operations)  # every status is listed, none implied
    # a body is read: not JSON (400), too large (413), invalid (422)
    assert {"400", "413", "422"} <= set(spec["paths"]["/v1/greetings"]["post"]["responses"])
    decide = spec["paths"]["/v1/items/{item_id}/decision"]["post"]["responses"]
    # a token (401/403/503), a thing named in the path (404), a body, and the view's own rule (409)
    assert sorted(decide) == ["400", "401", "403", "404", "409", "413", "422", "503"]
    assert decide["409"] == {"$ref": "#/components/responses/CONFLICT"}
    conflict = spec["components"]["responses"]["CONFLICT"]["content"]["application/json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/Error"}


def test_a_schema_s_rules_between_fields_are_in_the_document(tmp_path):
    decision = _app(tmp_path).get("/openapi.json").json["components"]["schemas"]["Decision"]
    assert decision["additionalProperties"] is False
    [approve, reject] = decision["oneOf"]
    assert reject["required"] == ["reason"] and reject["properties"]["decision"] == {"enum": ["reject"]}


def test_a_method_a_path_does_not_take_is_405_with_allow(tmp_path):
    response = _app(tmp_path).delete("/v1/greetings")
    _assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]
