"""Each handled event becomes the right delivery (or none), in the handler's own transaction."""
from dataclasses import replace

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from mumaris_shared.events import Event
from notifications.adapters.orm import recipients_table
from notifications.handlers import HANDLERS

pytestmark = pytest.mark.unit


@pytest.fixture
def handle(sqlite_runtime):
    """Handles an event the way the consumer does (handler + inbox row, one transaction)."""
    return sqlite_runtime.consumer(HANDLERS, url="amqp://never-connected").handle


def _recipient(runtime, account_id):
    with runtime.db.transaction() as session:
        return session.execute(select(recipients_table).where(recipients_table.c.account_id == account_id)).one()


def test_a_registration_is_remembered_and_sends_nothing(handle, sqlite_runtime, events, deliveries):
    event = events.registered("sara@example.com", "en")

    assert handle(event)
    assert deliveries(sqlite_runtime) == []
    recipient = _recipient(sqlite_runtime, "acct-sara@example.com")
    assert (recipient.email, recipient.language, recipient.full_name) == ("sara@example.com", "en", "Sara Alqahtani")


@pytest.mark.parametrize("make, template", [("code_issued", "verification_code"), ("activated", "welcome")])
def test_each_account_event_queues_its_email_in_the_recipients_language(handle, sqlite_runtime, events, deliveries,
                                                                       make, template):
    event = getattr(events, make)("sara@example.com", "ar")

    assert handle(event)
    [delivery] = deliveries(sqlite_runtime)
    assert (delivery.event_id, delivery.event_type, delivery.template) == (event.id, event.type, template)
    assert (delivery.recipient, delivery.language, delivery.status, delivery.attempts) == (
        "sara@example.com", "ar", "pending", 0)
    assert 'dir="rtl"' in delivery.html and delivery.subject and delivery.text


def test_the_same_event_twice_queues_one_email(handle, sqlite_runtime, events, deliveries):
    event = events.code_issued("sara@example.com")

    assert handle(event) is True
    assert handle(event) is False
    assert len(deliveries(sqlite_runtime)) == 1


def test_an_older_event_does_not_overwrite_newer_contact_details(handle, sqlite_runtime, events):
    newer = events.activated("sara@example.com", "en")
    older = Event(type="accounts.account_registered", producer="accounts",
                  data={**events.data("old@example.com", "ar"), "account_id": "acct-sara@example.com"},
                  occurred_at="2020-01-01T00:00:00Z")
    handle(newer)
    handle(older)

    recipient = _recipient(sqlite_runtime, "acct-sara@example.com")
    assert (recipient.email, recipient.language) == ("sara@example.com", "en")


def test_data_breaking_the_contract_fails_and_leaves_nothing_behind(handle, sqlite_runtime, events, deliveries):
    event = events.code_issued("sara@example.com")
    broken = Event(type=event.type, producer="accounts", data={k: v for k, v in event.data.items() if k != "code"})

    with pytest.raises(ValidationError):
        handle(broken)
    assert deliveries(sqlite_runtime) == []
    assert handle(replace(broken, data=event.data))  # the failure was not recorded as handled
