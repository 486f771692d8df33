"""The whole platform, started by the same launcher `make run` uses, on fresh ports, a fresh
RabbitMQ virtual host and fresh SQLite databases; the mail catcher is a real SMTP server."""
import re
import uuid

import pytest
import requests

from ops.launcher import SERVICES, Platform

E2E_SETTINGS = {
    "CONSUMER_RETRY_DELAYS": "PT0.2S,PT0.4S",   # the retry ladder in under a second
    "MAILER_RETRY_BASE": "PT0.5S",
    "ACCOUNTS_RESEND_INTERVAL": "PT1M",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="package")
def platform(broker, tmp_path_factory):
    env = {"RABBITMQ_URL": broker.url, **E2E_SETTINGS}
    env.pop("SMTP_HOST", None)
    with Platform(env=env, var_dir=tmp_path_factory.mktemp("platform"), gateway_port=0,
                  ports={service: 0 for service in SERVICES}, mailcatcher=True,
                  mailcatcher_smtp_port=0, mailcatcher_http_port=0) as running:
        yield running


class Gateway:
    """A client of the platform as a person with curl would be: only the gateway's URL."""

    def __init__(self, platform):
        self.platform = platform
        self.base = platform.gateway_url
        self.mail = platform.mailcatcher_instance

    def call(self, method, path, json=None, token=None, data=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        return requests.request(method, self.base + path, json=json, data=data, headers=headers, timeout=30)

    def register(self, language="en", **overrides):
        person = {"full_name": "Sara Al-Harbi" if language == "en" else "سارة الحربي",
                  "email": f"sara.{uuid.uuid4().hex[:10]}@example.sa", "password": "correct horse battery 42",
                  "national_id": "1" + str(uuid.uuid4().int)[:9], "mobile": "0551234567", "language": language}
        person.update(overrides)
        response = self.call("POST", "/api/accounts/v1/accounts", json=person)
        return person, response

    def code_mail(self, email, timeout=60):
        return self.mail.wait_for(lambda m: email in m["to"] and _code_in(m), timeout=timeout)

    def code_for(self, email, timeout=60):
        return _code_in(self.code_mail(email, timeout))

    @staticmethod
    def expect_error(response, status, code):
        """The response is the one error shape, with this status and code."""
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
        assert body["error"]["code"] == code, body
        return body["error"]

    def mails_to(self, email):
        return [m for m in self.mail.messages() if email in m["to"]]

    def active_account(self, language="en"):
        person, response = self.register(language)
        assert response.status_code == 201, response.text
        verified = self.call("POST", "/api/accounts/v1/accounts/verify",
                             json={"email": person["email"], "code": self.code_for(person["email"])})
        assert verified.status_code == 200, verified.text
        login = self.call("POST", "/api/accounts/v1/sessions",
                          json={"email": person["email"], "password": person["password"]})
        assert login.status_code == 200, login.text
        return person, login.json()["access_token"]


def _code_in(message):
    match = re.search(r"\b(\d{6})\b", message.get("text") or "")
    return match.group(1) if match else None


@pytest.fixture(scope="package")
def gateway(platform):
    return Gateway(platform)
