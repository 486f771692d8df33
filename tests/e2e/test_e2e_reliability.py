"""Faults against the running platform: the broker goes away, processes are killed mid-work, a
poison event arrives. E-mails are the observable effect: each must arrive, and only once."""

import json
import signal
import subprocess
import sys
import uuid

import pika
import pytest

from mumaris_shared.broker import connection_parameters, persistent
from mumaris_shared.events import EXCHANGE, Event

pytestmark = pytest.mark.e2e


def _register_many(gateway, count):
    emails = []
    for _ in range(count):
        person, response = gateway.register()
        assert response.status_code == 201, response.text
        emails.append(person["email"])
    return emails


def _exactly_one_code_mail_each(gateway, emails):
    for email in emails:
        gateway.code_mail(email, timeout=120)
    # A duplicate would come through the same queues as a later e-mail: once a fresh registration's
    # e-mail is in, anything still in flight from before has arrived too.
    marker, response = gateway.register()
    assert response.status_code == 201
    gateway.code_mail(marker["email"], timeout=120)
    assert {email: len(gateway.mails_to(email)) for email in emails} == {email: 1 for email in emails}


def test_accounts_registered_while_the_broker_is_down_all_get_their_email_once(
    platform_on_private_broker, gateway_for, private_broker
):
    gateway = gateway_for(platform_on_private_broker)
    private_broker.stop()
    try:
        emails = _register_many(gateway, 10)  # the web keeps working: events wait in the outbox
        not_ready = gateway.call("GET", "/api/accounts/readyz")
        gateway.expect_error(not_ready, 503, "not_ready")
    finally:
        private_broker.start()
    _exactly_one_code_mail_each(gateway, emails)


@pytest.mark.parametrize("process", ["notifications-consumer", "notifications-mailer", "accounts-relay"])
def test_a_process_killed_mid_work_loses_and_doubles_nothing(gateway, platform, process):
    first_mail_count = len(gateway.mail.messages())
    emails = _register_many(gateway, 20)
    # Kill it while the stream is being worked through: after the first of these e-mails went out.
    gateway.mail.wait_for(lambda m: m["to"][0] in emails, timeout=60, since=first_mail_count)
    platform.kill(process, signal.SIGKILL)
    platform.restart(process)
    _exactly_one_code_mail_each(gateway, emails)


def test_an_event_whose_handler_always_fails_is_parked_and_others_still_flow(gateway, platform):
    poison = Event(
        type="accounts.verification_code_issued",
        producer="accounts",
        data={"account_id": str(uuid.uuid4()), "email": "nobody@example.sa"},
    )  # no code, no name
    connection = pika.BlockingConnection(connection_parameters(platform.child_env["RABBITMQ_URL"]))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(
            EXCHANGE,
            poison.type,
            poison.to_json().encode(),
            properties=persistent(poison.id, poison.type),
            mandatory=True,
        )
    finally:
        connection.close()

    person, response = gateway.register()  # published after the poison: must not be stuck behind it
    assert response.status_code == 201
    gateway.code_mail(person["email"])

    def parked():
        listed = subprocess.run(
            [sys.executable, "-m", "mumaris_shared.parking", "list", "notifications"],
            env=platform.child_env,
            capture_output=True,
            text=True,
            check=True,
        )
        return [json.loads(line) for line in listed.stdout.splitlines()]

    from mumaris_testing import wait_until

    wait_until(lambda: any(p["message_id"] == poison.id for p in parked()), timeout=60, interval=0.5)
    [entry] = [p for p in parked() if p["message_id"] == poison.id]
    assert entry["attempts"] == 3 and entry["error"]
    assert gateway.mails_to("nobody@example.sa") == []
