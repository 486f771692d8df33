"""The whole platform, started by the same launcher `make run` uses, on fresh ports, a fresh
RabbitMQ virtual host and fresh SQLite databases; the mail catcher is a real SMTP server."""

import re
import uuid

import pytest
import requests

from ops.launcher import SERVICES, Platform

E2E_SETTINGS = {
    "CONSUMER_RETRY_DELAYS": "PT0.2S,PT0.4S",  # the retry ladder in under a second
    "MAILER_RETRY_BASE": "PT0.5S",
    "ACCOUNTS_RESEND_INTERVAL": "PT1M",
    # every test signs in from 127.0.0.1: the per-client limit is tested on a gateway of its own
    "GATEWAY_AUTH_RATE": "1000r/s",
    "GATEWAY_AUTH_BURST": "1000",
    "LOG_LEVEL": "INFO",
    # The answers applications keeps are made again and compared: a change that did not move the
    # request's revision is a 500 in whichever test reads the request after it.
    "ANSWERS_CHECK": "1",
    # Up to four platforms run at once on the suite's workers: one gunicorn worker per web process
    # each, serving one request at a time as every worker does by default (the default count, a
    # worker per CPU and one more, is for a machine running one platform; the bench runs it).
    "WEB_WORKERS": "1",
}


def start_platform(rabbitmq_url, var_dir, **settings):
    """The platform on free ports, with its own mail catcher, on the given virtual host."""
    replicas = settings.pop("replicas", None)
    env = {"RABBITMQ_URL": rabbitmq_url, **E2E_SETTINGS, **settings}
    return Platform(
        env=env,
        var_dir=var_dir,
        gateway_port=0,
        ports={service: 0 for service in SERVICES},
        mailcatcher=True,
        mailcatcher_smtp_port=0,
        mailcatcher_http_port=0,
        replicas=replicas,
    )


@pytest.fixture(scope="package")
def platform(broker, tmp_path_factory):
    # A virtual host of its own: the queues it declares (with e2e retry delays) outlive it, and
    # the integration tests that run on this worker use the worker's own.
    with start_platform(broker.new_url(), tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture
def platform_on_private_broker(private_broker, tmp_path_factory):
    """A platform on this worker's private broker, for a test that stops it (`private_broker.stop()`):
    the shared broker, and every other test on it, never sees the outage."""
    with start_platform(private_broker.new_url(), tmp_path_factory.mktemp("platform")) as running:
        yield running


@pytest.fixture(scope="package")
def start_another_platform(broker, tmp_path_factory):
    """A platform with other settings (deadlines in seconds, PostgreSQL, replicas), beside the
    package's main one, on a virtual host of its own (platforms sharing queues would take each
    other's events), or on `rabbitmq_url` (a private cluster's); use it as a context manager so it
    stops with the test. Its broker URL is `platform.child_env["RABBITMQ_URL"]`."""

    def start(rabbitmq_url=None, **settings):
        return start_platform(rabbitmq_url or broker.new_url(), tmp_path_factory.mktemp("platform"), **settings)

    return start


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
        person = {
            "full_name": "Sara Al-Harbi" if language == "en" else "سارة الحربي",
            "email": f"sara.{uuid.uuid4().hex[:10]}@example.sa",
            "password": "correct horse battery 42",
            "national_id": "1" + str(uuid.uuid4().int)[:9],
            "mobile": "0551234567",
            "language": language,
        }
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

    def staff(self, role, national_id=None):
        """A staff member made with the staff command, logged in: (email, token)."""
        email, password = f"{role}.{uuid.uuid4().hex[:8]}@scfhs.example.sa", "a long staff passphrase 7"
        national_id = national_id or "1" + str(uuid.uuid4().int)[:9]
        made = self.platform.run_module(
            "accounts.cli",
            "create-staff",
            "--email",
            email,
            "--password",
            password,
            "--role",
            role,
            "--national-id",
            national_id,
        )
        assert made.returncode == 0, made.stderr
        login = self.call("POST", "/api/accounts/v1/sessions", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        return email, login.json()["access_token"]

    def new_request(self, token, category="consultant", submit=True):
        """A request created (and sent) by the holder of `token`: its number."""
        created = self.call(
            "POST",
            "/api/applications/v1/applications",
            token=token,
            json={
                "category": category,
                "specialty": "Cardiology",
                "qualification": {
                    "degree": "MBBS",
                    "institution": "King Saud University",
                    "country": "SA",
                    "year": 2015,
                },
                "dataflow_reference": f"DF-{uuid.uuid4().hex[:10].upper()}",
            },
        )
        assert created.status_code == 201, created.text
        number = created.json()["number"]
        if submit:
            for kind in ("degree", "identity", "specialty_certificate"):  # whatever the category needs
                uploaded = self.upload(token, f"/api/applications/v1/applications/{number}/documents", kind)
                assert uploaded.status_code == 201, uploaded.text
            sent = self.call("POST", f"/api/applications/v1/applications/{number}/submit", token=token)
            assert sent.status_code == 200 and sent.json()["status"] == "awaiting_payment", sent.text
        return number

    def upload(self, token, path, kind, content=b"%PDF-1.4\n% scanned\n", name="scan.pdf"):
        """A multipart upload of a document (`file` + `kind`), as a browser sends it."""
        return requests.post(
            self.base + path,
            data={"kind": kind},
            files={"file": (name, content)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    def verify(self, reviewer, number):
        """The reviewer who took the request records its qualification verified (what an approval needs)."""
        verified = self.call(
            "POST",
            f"/api/applications/v1/applications/{number}/dataflow",
            token=reviewer,
            json={"outcome": "verified", "note": "confirmed at source"},
        )
        assert verified.status_code == 200, verified.text

    def invoices(self, token, number, count=2):
        """The request's invoices, once billing has issued them (it learns of the request by event)."""
        from mumaris_testing import wait_until

        found = {}

        def issued():
            response = self.call("GET", f"/api/billing/v1/invoices?application={number}", token=token)
            found["list"] = response.json() if response.status_code == 200 else []
            return len(found["list"]) == count

        wait_until(issued, timeout=60, interval=0.2)
        return {invoice["kind"]: invoice for invoice in found["list"]}

    def start_payment(self, token, invoice_id, method):
        """A payment of the invoice started (a new Idempotency-Key): the payment, pending."""
        payment = self.call(
            "POST",
            f"/api/billing/v1/invoices/{invoice_id}/payments",
            token=token,
            json={"method": method},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert payment.status_code == 201, payment.text
        return payment.json()

    def pay(self, token, invoice_id, method, outcome="captured"):
        """A payment started, completed in the sandbox, and its notice received: the payment."""
        payment = self.start_payment(token, invoice_id, method)
        done = self.call(
            "POST", f"/api/billing/v1/sandbox/payments/{payment['id']}/complete", token=token, json={"outcome": outcome}
        )
        assert done.status_code == 202, done.text
        return self.payment_becomes(token, payment["id"], outcome)

    def payment_becomes(self, token, payment_id, status, timeout=60):
        """The payment once the provider's notice made it `status` (a notice comes a moment later)."""
        from mumaris_testing import wait_until

        found = {}

        def reached():
            found["payment"] = self.call("GET", f"/api/billing/v1/payments/{payment_id}", token=token).json()
            return found["payment"].get("status") == status

        wait_until(reached, timeout=timeout, interval=0.2)
        return found["payment"]

    def status_becomes(self, token, number, status, timeout=60):
        from mumaris_testing import wait_until

        def reached():
            return (
                self.call("GET", f"/api/applications/v1/applications/{number}", token=token).json().get("status")
                == status
            )

        wait_until(reached, timeout=timeout, interval=0.2)
        return self.call("GET", f"/api/applications/v1/applications/{number}", token=token).json()

    def mail_about(self, email, *needles, timeout=60):
        """The e-mail to `email` whose subject and text hold every needle."""
        return self.mail.wait_for(lambda m: email in m["to"] and all(n in _words(m) for n in needles), timeout=timeout)

    def mails_about(self, email, *needles):
        return [m for m in self.mail.messages() if email in m["to"] and all(n in _words(m) for n in needles)]

    def mails_to(self, email):
        return [m for m in self.mail.messages() if email in m["to"]]

    def active_account(self, language="en", **overrides):
        person, response = self.register(language, **overrides)
        assert response.status_code == 201, response.text
        verified = self.call(
            "POST",
            "/api/accounts/v1/accounts/verify",
            json={"email": person["email"], "code": self.code_for(person["email"])},
        )
        assert verified.status_code == 200, verified.text
        login = self.call(
            "POST", "/api/accounts/v1/sessions", json={"email": person["email"], "password": person["password"]}
        )
        assert login.status_code == 200, login.text
        return person, login.json()["access_token"]


def _words(message):
    return f"{message['subject']}\n{message.get('text') or ''}"


def _code_in(message):
    match = re.search(r"\b(\d{6})\b", message.get("text") or "")
    return match.group(1) if match else None


@pytest.fixture(scope="package")
def gateway(platform):
    return Gateway(platform)


@pytest.fixture(scope="package")
def gateway_for():
    """A Gateway client for another platform (see start_another_platform)."""
    return Gateway
