"""Each handled event becomes the right delivery (or none), in the handler's own transaction; an event
about a request goes to the recipient `recipients` holds, and waits (fails, to be retried) until there is one."""

from dataclasses import replace

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from mumaris_shared.contracts import (
    ACCOUNT_ACTIVATED,
    ACCOUNT_REGISTERED,
    APPLICATION_APPROVED,
    APPLICATION_CANCELLED,
    APPLICATION_CLASSIFIED,
    APPLICATION_REJECTED,
    APPLICATION_RESUBMITTED,
    APPLICATION_RETURNED,
    CPD_ACTIVITY_DECIDED,
    CPD_ACTIVITY_RECORDED,
    DATA_UPDATE_APPROVED,
    DATA_UPDATE_REJECTED,
    DATA_UPDATE_SUBMITTED,
    DATAFLOW_RECORDED,
    EXEMPTION_DECIDED,
    FEES_ASSESSED,
    LICENCE_EXPIRED,
    LICENCE_REMINDER_DUE,
    PASSWORD_RESET_CODE_ISSUED,
    PAYMENT_RECEIVED,
    PAYMENT_REMINDER_DUE,
    REFUND_DECIDED,
    REFUND_ESCALATED,
    REFUND_PAID,
    VERIFICATION_CODE_ISSUED,
    WAIVER_GRANTED,
)
from mumaris_shared.events import Event
from notifications.adapters.orm import recipients_table
from notifications.domain.emails import ACCOUNT_TEMPLATES, STAFF_TEMPLATES, TEMPLATES
from notifications.domain.emails import REFUND_ESCALATED as ESCALATION
from notifications.handlers import HANDLERS, RecipientUnknown

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


@pytest.mark.parametrize(
    "make, template",
    [("code_issued", "verification_code"), ("reset_code_issued", "password_reset_code"), ("activated", "welcome")],
)
def test_each_account_event_queues_its_email_in_the_recipients_language(
    handle, sqlite_runtime, events, deliveries, make, template
):
    event = getattr(events, make)("sara@example.com", "ar")

    assert handle(event)
    [delivery] = deliveries(sqlite_runtime)
    assert (delivery.event_id, delivery.event_type, delivery.template) == (event.id, event.type, template)
    assert (delivery.recipient, delivery.language, delivery.status, delivery.attempts) == (
        "sara@example.com",
        "ar",
        "pending",
        0,
    )
    assert 'dir="rtl"' in delivery.html and delivery.subject and delivery.text


def test_the_same_event_twice_queues_one_email(handle, sqlite_runtime, events, deliveries):
    event = events.code_issued("sara@example.com")

    assert handle(event) is True
    assert handle(event) is False
    assert len(deliveries(sqlite_runtime)) == 1


def test_an_older_event_does_not_overwrite_newer_contact_details(handle, sqlite_runtime, events):
    newer = events.activated("sara@example.com", "en")
    older = Event(
        type="accounts.account_registered",
        producer="accounts",
        data={**events.data("old@example.com", "ar"), "account_id": "acct-sara@example.com"},
        occurred_at="2020-01-01T00:00:00Z",
    )
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


# --- Events about a request: the recipient comes from `recipients` ---------------------------------
REQUEST_TEMPLATES = sorted(set(TEMPLATES) - set(ACCOUNT_TEMPLATES) - set(STAFF_TEMPLATES))


@pytest.mark.parametrize("template", REQUEST_TEMPLATES)
@pytest.mark.parametrize("language", ["ar", "en"])
def test_each_request_event_queues_its_email_to_the_known_recipient_in_their_language(
    handle, sqlite_runtime, events, deliveries, template, language
):
    handle(events.registered("sara@example.com", language))
    event = events.for_template(template, "sara@example.com")

    assert handle(event)
    [delivery] = deliveries(sqlite_runtime)
    assert (delivery.event_id, delivery.event_type, delivery.template) == (event.id, event.type, template)
    assert (delivery.recipient, delivery.language, delivery.status) == ("sara@example.com", language, "pending")
    assert f'lang="{language}"' in delivery.html and events.subject_names(template) in delivery.subject
    assert ("سارة القحطاني" if language == "ar" else "Sara Alqahtani") in delivery.text


def test_the_request_sent_email_carries_both_amounts_both_sadad_numbers_and_the_deadline(
    handle, sqlite_runtime, events, deliveries
):
    handle(events.registered("sara@example.com", "en"))
    handle(events.fees_assessed("sara@example.com"))

    [delivery] = deliveries(sqlite_runtime)
    for body in (delivery.text, delivery.html):
        assert "SAR 200.00" in body and "SAR 1,250.50" in body
        assert "100200300401" in body and "100200300402" in body
        assert "Thursday 24 December 2026 at 11:59 PM Riyadh time" in body


def test_the_latest_contact_details_are_used(handle, sqlite_runtime, events, deliveries):
    handle(events.registered("sara@example.com", "ar"))
    handle(
        Event(
            type="accounts.account_activated",
            producer="accounts",
            data={**events.data("sara.new@example.com", "en"), "account_id": "acct-sara@example.com"},
        )
    )
    handle(events.approved("sara@example.com"))

    [_, approval] = deliveries(sqlite_runtime)
    assert (approval.template, approval.recipient, approval.language) == (
        "application_approved",
        "sara.new@example.com",
        "en",
    )


@pytest.mark.parametrize("template", REQUEST_TEMPLATES)
def test_an_unknown_recipient_fails_the_event_so_it_is_retried_not_dropped(
    handle, sqlite_runtime, events, deliveries, template
):
    event = events.for_template(template, "early@example.com")

    with pytest.raises(RecipientUnknown, match="acct-early@example.com"):
        handle(event)
    assert deliveries(sqlite_runtime) == []

    # The accounts event arrives; the retried event is handled (it was not recorded as handled).
    handle(events.registered("early@example.com", "en"))
    assert handle(event) is True
    [delivery] = deliveries(sqlite_runtime)
    assert (delivery.event_id, delivery.recipient, delivery.language) == (event.id, "early@example.com", "en")


@pytest.mark.parametrize("template", REQUEST_TEMPLATES)
def test_the_same_request_event_twice_queues_one_email(handle, sqlite_runtime, events, deliveries, template):
    handle(events.registered("sara@example.com"))
    event = events.for_template(template, "sara@example.com")

    assert handle(event) is True
    assert handle(event) is False
    assert len(deliveries(sqlite_runtime, event_id=event.id)) == 1


@pytest.mark.parametrize(
    "template, missing",
    [
        ("request_sent", "invoices"),
        ("payment_reminder", "due_at"),
        ("payment_received", "method"),
        ("application_approved", "membership_number"),
        ("application_rejected", "reason"),
        ("waiver_granted", "kinds"),
        ("refund_decided", "rule"),
        ("refund_decided", "amount_halalas"),
        ("refund_paid", "amount_halalas"),
        ("refund_escalated", "decide_by"),
        ("data_update_received", "fields_changed"),
        ("data_update_approved", "membership_number"),
        ("data_update_rejected", "reason"),
        ("application_returned", "correct_by"),
        ("licence_reminder", "before_expiry"),
        ("cpd_activity_decided", "decision"),
    ],
)
def test_request_data_breaking_the_contract_fails_before_any_lookup(
    handle, sqlite_runtime, events, deliveries, template, missing
):
    handle(events.registered("sara@example.com"))
    event = events.for_template(template, "sara@example.com")
    broken = replace(event, data={k: v for k, v in event.data.items() if k != missing})

    with pytest.raises(ValidationError, match=missing):
        handle(broken)
    assert deliveries(sqlite_runtime) == []


def test_every_event_this_service_is_told_about_has_a_handler():
    assert set(HANDLERS) == {
        ACCOUNT_REGISTERED,
        VERIFICATION_CODE_ISSUED,
        PASSWORD_RESET_CODE_ISSUED,
        ACCOUNT_ACTIVATED,
        FEES_ASSESSED,
        PAYMENT_REMINDER_DUE,
        PAYMENT_RECEIVED,
        APPLICATION_CANCELLED,
        EXEMPTION_DECIDED,
        WAIVER_GRANTED,
        APPLICATION_APPROVED,
        APPLICATION_REJECTED,
        REFUND_DECIDED,
        REFUND_PAID,
        REFUND_ESCALATED,
        DATA_UPDATE_SUBMITTED,
        DATA_UPDATE_APPROVED,
        DATA_UPDATE_REJECTED,
        APPLICATION_RETURNED,
        APPLICATION_RESUBMITTED,
        DATAFLOW_RECORDED,
        APPLICATION_CLASSIFIED,
        LICENCE_REMINDER_DUE,
        LICENCE_EXPIRED,
        CPD_ACTIVITY_RECORDED,
        CPD_ACTIVITY_DECIDED,
    }


def test_a_refund_decision_without_a_reviewers_reason_is_written_without_one(
    handle, sqlite_runtime, events, deliveries
):
    handle(events.registered("sara@example.com", "en"))
    decided = events.refund_decided("sara@example.com")
    # Optional in the contract: a producer may leave it out.
    event = replace(decided, data={k: v for k, v in decided.data.items() if k != "reason"})

    assert handle(event)
    [delivery] = deliveries(sqlite_runtime)
    assert "SAR 625.25" in delivery.text and "50% of the service fee" in delivery.text
    assert "None" not in delivery.text and "Reason" not in delivery.text


# --- Staff e-mails: to the reviewers' mailbox, in Arabic, with no recipient to look up ---------------
def test_an_escalated_refund_goes_to_the_reviewers_mailbox_in_arabic_without_any_account(
    handle, sqlite_runtime, events, deliveries, monkeypatch
):
    monkeypatch.delenv("NOTIFICATIONS_REVIEWERS_ADDRESS", raising=False)
    event = events.refund_escalated("nobody-known@example.com")  # no accounts event: none is needed

    assert handle(event) is True
    [delivery] = deliveries(sqlite_runtime)
    assert (delivery.template, delivery.recipient, delivery.language) == (ESCALATION, "reviewers@mumaris.local", "ar")
    assert 'dir="rtl"' in delivery.html and events.APPLICATION in delivery.subject
    assert "rf-51d0" in delivery.text and "625.25 ر.س" in delivery.text
    assert "nobody-known@example.com" not in delivery.text


def test_the_reviewers_mailbox_is_a_setting(handle, sqlite_runtime, events, deliveries, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_REVIEWERS_ADDRESS", "refund-desk@scfhs.example")

    handle(events.refund_escalated("sara@example.com"))
    [delivery] = deliveries(sqlite_runtime)
    assert delivery.recipient == "refund-desk@scfhs.example"


def test_the_same_escalation_twice_queues_one_email(handle, sqlite_runtime, events, deliveries):
    event = events.refund_escalated("sara@example.com")

    assert handle(event) is True
    assert handle(event) is False
    assert len(deliveries(sqlite_runtime, event_id=event.id)) == 1


def test_cancellations_handled_together_queue_one_e_mail_each_or_nothing(sqlite_runtime, events, deliveries):
    consumer = sqlite_runtime.consumer(HANDLERS, url="amqp://never-connected")
    people = ["sara@example.com", "huda@example.com", "omar@example.com"]
    for person in people:
        consumer.handle(events.registered(person, language="en"))
    stranger = events.cancelled("nobody@example.com")  # no accounts event has named them yet
    with pytest.raises(RecipientUnknown):
        consumer.handle_batch([events.cancelled(people[0]), stranger, events.cancelled(people[1])])
    assert deliveries(sqlite_runtime) == []  # the batch failed as a whole: each is handled alone next

    cancellations = [events.cancelled(person) for person in people]
    assert consumer.handle_batch([*cancellations, cancellations[0]]) == {event.id for event in cancellations}
    queued = deliveries(sqlite_runtime)
    assert sorted(row.recipient for row in queued) == sorted(people)
    assert {row.template for row in queued} == {"application_cancelled"} and {row.language for row in queued} == {"en"}
    assert all("Sara Alqahtani" in row.text for row in queued)
