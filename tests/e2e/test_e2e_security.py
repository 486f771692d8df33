"""The platform's trust boundaries, end to end (docs/security.md)."""

import json
import subprocess
import sys

import pika
import pytest

from mumaris_shared.broker import connection_parameters, connection_user, persistent
from mumaris_shared.broker_access import service_url
from mumaris_shared.events import EXCHANGE, Event
from mumaris_shared.testing import wait_until

pytestmark = pytest.mark.e2e


def _publish(url: str, event: Event) -> None:
    connection = pika.BlockingConnection(connection_parameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        properties = persistent(event.id, event.type, connection_user(url))
        channel.basic_publish(EXCHANGE, event.type, event.to_json().encode(), properties, mandatory=True)
    finally:
        if connection.is_open:
            connection.close()


def _parked(platform, service):
    listed = subprocess.run(
        [sys.executable, "-m", "mumaris_shared.parking", "list", service],
        env=platform.child_env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_fees_settled_published_by_the_applications_user_changes_nothing(gateway, platform, broker):
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
        _publish(service_url("applications", broker.url), forged)
    assert refused.value.reply_code == 403 and "billing.fees_settled" in refused.value.reply_text

    # Were such an event ever delivered (here the broker's administrator sends it, under its own
    # name), the consumer would park it unhandled: its publisher is not billing.
    _publish(broker.url, forged)
    wait_until(lambda: any(p["message_id"] == forged.id for p in _parked(platform, "applications")), timeout=60)
    [parked] = [p for p in _parked(platform, "applications") if p["message_id"] == forged.id]
    assert parked["error"].startswith("refused: billing.fees_settled")
    assert parked["publisher"] == connection_user(broker.url)

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
