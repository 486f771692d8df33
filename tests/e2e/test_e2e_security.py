"""The platform's trust boundaries, end to end (docs/security.md)."""

import json
import re
import subprocess
import sys
import uuid
from secrets import token_urlsafe

import pika
import pytest
import requests

from accounts.adapters.sealing import new_key_encryption_key
from mumaris_shared.broker import connection_user
from mumaris_shared.broker_access import SERVICES, service_url
from mumaris_shared.events import Event
from mumaris_testing import publish_as, wait_until
from services.billing.tests.fake_moyasar import FakeMoyasar

MOYASAR_KEY, MOYASAR_TOKEN = "sk_live_a_key_of_this_test", "a webhook secret token of this test"

pytestmark = pytest.mark.e2e


def _parked(platform, service):
    listed = subprocess.run(
        [sys.executable, "-m", "mumaris_shared.parking", "list", service],
        env=platform.child_env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_fees_settled_published_by_the_applications_user_changes_nothing(gateway, platform):
    url = platform.child_env["RABBITMQ_URL"]  # the platform's own virtual host, as its administrator
    _person, token = gateway.active_account()
    number = gateway.new_request(token)
    forged = Event(
        type="billing.fees_settled",
        producer="billing",
        data={
            "application_number": number,
            "account_id": gateway.call("GET", "/api/accounts/v1/me", token=token).json()["id"],
            "settled_at": "2026-11-25T10:00:00Z",
        },
    )

    # The applications service's own user may not publish billing's events at all.
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
        publish_as(service_url("applications", url), forged)
    assert refused.value.reply_code == 403 and "billing.fees_settled" in refused.value.reply_text

    # Were such an event ever delivered (here the broker's administrator sends it, under its own
    # name), the consumer would park it unhandled: its publisher is not billing.
    publish_as(url, forged)
    wait_until(lambda: any(p["message_id"] == forged.id for p in _parked(platform, "applications")), timeout=60)
    [parked] = [p for p in _parked(platform, "applications") if p["message_id"] == forged.id]
    assert parked["error"].startswith("refused: billing.fees_settled")
    assert parked["publisher"] == connection_user(url)

    status = gateway.call("GET", f"/api/applications/v1/applications/{number}", token=token).json()["status"]
    assert status == "awaiting_payment"


def test_a_reviewer_cannot_take_their_own_request(gateway):
    person, token = gateway.active_account()
    number = gateway.new_request(token)
    for invoice in gateway.invoices(token, number).values():
        gateway.pay(token, invoice["id"], "mada")
    gateway.status_becomes(token, number, "under_review")
    _email, herself = gateway.staff("reviewer", national_id=person["national_id"])  # her staff account
    refused = gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=herself)
    gateway.expect_error(refused, 403, "own_case")
    _other, colleague = gateway.staff("reviewer")
    assert (
        gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=colleague).status_code == 200
    )


def test_in_production_the_platform_runs_once_given_its_secrets(broker, tmp_path, monkeypatch):
    from ops.launcher import Platform
    from ops.mailcatcher import MailCatcher

    own = uuid.uuid4().hex[:8]
    secrets = {
        "ACCOUNTS_CODE_SECRET": token_urlsafe(32),
        "ACCOUNTS_KEY_ENCRYPTION_KEY": new_key_encryption_key(),
        "APPLICATIONS_DOCUMENT_LINK_SECRET": token_urlsafe(32),
    }
    for service in SERVICES:
        secrets[f"{service.upper()}_RABBITMQ_USER"] = f"mumaris-{own}-{service}"  # users of this test's own
        secrets[f"{service.upper()}_RABBITMQ_PASSWORD"] = token_urlsafe(32)
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)  # the virtual host is provisioned with them
    url = broker.new_url()
    with (
        MailCatcher(smtp_port=0, http_port=None) as smtp,  # the real mail server, here
        FakeMoyasar(MOYASAR_KEY, MOYASAR_TOKEN) as moyasar,  # production's payment provider
    ):
        platform = Platform(
            env={
                "MUMARIS_ENV": "production",
                "RABBITMQ_URL": url,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp.smtp_port),
                "BILLING_PAYMENT_PROVIDER": "moyasar",
                "BILLING_MOYASAR_API_URL": moyasar.api_url,
                "BILLING_MOYASAR_SECRET_KEY": MOYASAR_KEY,
                "BILLING_MOYASAR_WEBHOOK_SECRET": MOYASAR_TOKEN,
                **secrets,
            },
            var_dir=tmp_path,
            gateway_port=0,
            ports={service: 0 for service in SERVICES},
            services=SERVICES,
        )
        with platform:
            assert platform.mailcatcher_instance is None  # not started in production
            base = platform.gateway_url
            person = {
                "full_name": "Sara Al-Harbi",
                "email": f"sara.{own}@example.sa",
                "password": "correct horse battery 42",
                "national_id": "1098765432",
                "mobile": "0551234567",
                "language": "en",
            }
            assert requests.post(f"{base}/api/accounts/v1/accounts", json=person, timeout=30).status_code == 201
            mail = smtp.wait_for(lambda m: person["email"] in m["to"], timeout=60)
            code = re.search(r"\b(\d{6})\b", mail["text"]).group(1)
            verify = {"email": person["email"], "code": code}
            assert requests.post(f"{base}/api/accounts/v1/accounts/verify", json=verify, timeout=30).status_code == 200
            credentials = {"email": person["email"], "password": person["password"]}
            login = requests.post(f"{base}/api/accounts/v1/sessions", json=credentials, timeout=30)
            token = login.json()["access_token"]
            me = requests.get(f"{base}/api/accounts/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert me.json()["email"] == person["email"]
            assert requests.get(f"{base}/api/accounts/metrics", timeout=30).status_code == 404  # not public
            assert requests.get(f"{platform.service_url('accounts')}/metrics", timeout=30).status_code == 200
            # no sandbox: nobody plays the bank, not even on billing's own port
            complete = f"{platform.service_url('billing')}/v1/sandbox/payments/{uuid.uuid4()}/complete"
            bearer = {"Authorization": f"Bearer {token}"}
            refused = requests.post(complete, json={"outcome": "captured"}, headers=bearer, timeout=30)
            assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
