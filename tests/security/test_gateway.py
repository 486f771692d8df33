"""The public gateway (nginx, from gateway/nginx.conf.template as `make run` renders it): security
headers, TLS, the sign-in rate limit, and what production keeps off it. The services and the portal
behind it are not running, so a routed request answers 502 and one the gateway refuses answers itself."""

import datetime
import subprocess
from contextlib import contextmanager

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mumaris_testing import wait_until
from ops.gateway import local_gateway
from ops.net import HOST, free_port, http_status
from ops.processes import SERVICES

pytestmark = pytest.mark.integration


@contextmanager
def running_gateway(tmp_path, **settings):
    port = free_port()
    argv = local_gateway(tmp_path / "nginx", tmp_path, port, {s: [free_port()] for s in SERVICES}, settings)
    nginx = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheme = "https" if settings.get("GATEWAY_TLS_CERT") else "http"
    base = f"{scheme}://{HOST}:{port}"
    try:
        if scheme == "http":
            wait_until(lambda: http_status(base + "/gateway/healthz") == 200, timeout=30)
        yield base
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def _is_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"], "details": {}}}


def _security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_answer_carries_the_security_headers_and_no_hsts_without_tls(tmp_path):
    with running_gateway(tmp_path) as base:
        answers = [
            requests.get(base + "/login", timeout=10),  # a portal page: the portal is down here (502)
            requests.get(base + "/api/accounts/v1/me", timeout=10),  # an API, routed: its service is down
            requests.get(base + "/api/no-such-service/v1", timeout=10),  # the gateway's own 404
        ]
    assert [a.status_code for a in answers] == [502, 502, 404]
    for answer in answers:
        _security_headers(answer)
        assert "Strict-Transport-Security" not in answer.headers


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(HOST))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "gateway.crt", tmp_path / "gateway.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_tls_terminates_at_the_gateway_with_hsts(tmp_path):
    cert, key = _self_signed(tmp_path)
    with running_gateway(tmp_path, GATEWAY_TLS_CERT=str(cert), GATEWAY_TLS_KEY=str(key)) as base:

        def answers():
            try:
                return requests.get(base + "/gateway/healthz", verify=str(cert), timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(answers, timeout=30)
        secure = requests.get(base + "/api/accounts/v1/me", verify=str(cert), timeout=10)
        plain = requests.get(base.replace("https", "http") + "/gateway/healthz", timeout=5)
    assert plain.status_code == 400  # plain HTTP on the TLS port is refused
    assert secure.status_code == 502
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    _security_headers(secure)


def test_the_sign_in_endpoints_are_rate_limited_per_client_with_retry_after(tmp_path):
    with running_gateway(tmp_path, GATEWAY_AUTH_RATE="1r/m", GATEWAY_AUTH_BURST="2") as base:
        sign_in = [requests.post(base + "/api/accounts/v1/sessions", json={}, timeout=10) for _ in range(4)]
        other_auth = requests.post(base + "/api/accounts/v1/accounts/verify", json={}, timeout=10)
        portal_form = requests.post(base + "/login", data={}, timeout=10)
        not_limited = [requests.get(base + "/api/accounts/v1/me", timeout=10) for _ in range(5)]
    assert [r.status_code for r in sign_in] == [502, 502, 502, 429]  # the first and a burst of 2, then refused
    _is_error(sign_in[-1], 429, "too_many_requests")
    assert sign_in[-1].headers["Retry-After"] == "60"
    _security_headers(sign_in[-1])
    assert "Retry-After" not in sign_in[0].headers
    assert (other_auth.status_code, portal_form.status_code) == (429, 429)  # one budget for every sign-in step
    assert {r.status_code for r in not_limited} == {502}


@pytest.mark.parametrize("path", ["/api/accounts/metrics", "/api/billing/readyz", "/api/applications/openapi.json"])
def test_production_keeps_the_operators_endpoints_off_the_public_gateway(tmp_path, path):
    with running_gateway(tmp_path, MUMARIS_ENV="production") as base:
        hidden = requests.get(base + path, timeout=10)
        sandbox = requests.post(base + "/api/billing/v1/sandbox/payments/p1/complete", json={}, timeout=10)
        still_routed = requests.get(base + "/api/applications/v1/status/REQ-1", timeout=10)
    _is_error(hidden, 404, "not_found")
    _is_error(sandbox, 404, "not_found")
    assert still_routed.status_code == 502  # the API itself stays routed


def test_development_routes_the_operators_endpoints(tmp_path):
    with running_gateway(tmp_path) as base:
        assert requests.get(base + "/api/accounts/metrics", timeout=10).status_code == 502
