"""Withdrawal from each status, and billing's events as the consumer hands them to the handlers."""

import pytest
from marshmallow import ValidationError

from applications.handlers import HANDLERS
from mumaris_shared.contracts import SCHEMAS
from mumaris_shared.events import Event

pytestmark = pytest.mark.integration

WITHDRAWABLE = ["draft", "awaiting_payment", "under_review", "taken"]


@pytest.mark.parametrize("stage", WITHDRAWABLE)
def test_the_owner_withdraws_a_request_not_yet_decided(service, stage):
    number = getattr(service, stage)()
    before = service.get(f"/v1/applications/{number}", service.people.applicant).json
    previous = before["status"]
    response = service.post(number, "withdraw", service.people.applicant)
    assert response.status_code == 200
    assert (response.json["number"], response.json["status"]) == (number, "withdrawn")
    assert response.json["timeline"][-1]["status"] == "withdrawn"
    assert response.json["timeline"][-1]["by"] == service.people.applicant
    [event] = service.events("applications.application_withdrawn")
    assert SCHEMAS[event["type"]]().validate(event["data"]) == {}
    assert event["data"]["previous_status"] == previous and event["data"]["application_number"] == number
    # When the review had started, if it had (billing's refund rules, R8).
    assert event["data"]["review_started_at"] == before["review_started_at"]
    assert (event["data"]["review_started_at"] is None) == (stage != "taken")
    assert service.get("/v1/review-queue", service.people.reviewer).json == []


@pytest.mark.parametrize("stage", ["approved", "rejected", "withdrawn", "cancelled"])
def test_a_request_that_is_final_cannot_be_withdrawn(service, stage):
    if stage in ("approved", "rejected"):
        number = service.decided({"approved": "approve", "rejected": "reject"}[stage])
    elif stage == "withdrawn":
        number = service.draft()
        service.post(number, "withdraw", service.people.applicant)
    else:
        number = service.awaiting_payment()
        service.billing("billing.payment_deadline_expired", number)
    before = service.snapshot()
    response = service.post(number, "withdraw", service.people.applicant)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "illegal_transition"
    assert response.json["error"]["details"]["current_status"] == stage
    assert service.snapshot() == before


def test_an_expired_payment_deadline_cancels_the_request(service):
    number = service.awaiting_payment()
    assert service.billing("billing.payment_deadline_expired", number)
    detail = service.get(f"/v1/applications/{number}", service.people.applicant).json
    assert detail["status"] == "cancelled"
    assert detail["timeline"][-1]["status"] == "cancelled" and detail["timeline"][-1]["by"] == "system"
    assert detail["timeline"][-1]["reason"] == "payment_deadline_expired"
    [event] = service.events("applications.application_cancelled")
    assert SCHEMAS[event["type"]]().validate(event["data"]) == {}
    assert event["data"]["reason"] == "payment_deadline_expired"
    assert event["data"]["account_id"] == service.people.applicant
    assert service.get(f"/v1/status/{number}").json["status"] == "cancelled"


@pytest.mark.parametrize("event_type", ["billing.fees_settled", "billing.payment_deadline_expired"])
@pytest.mark.parametrize("stage", ["draft", "under_review", "withdrawn_while_unpaid"])
def test_an_event_for_a_request_that_has_moved_on_changes_nothing(service, event_type, stage):
    if stage == "withdrawn_while_unpaid":
        number = service.awaiting_payment()
        service.post(number, "withdraw", service.people.applicant)
    else:
        number = getattr(service, stage)()
    before = service.snapshot()
    assert service.billing(event_type, number)  # handled (not failed, so not retried or parked)
    after = service.snapshot()
    assert len(after["inbox"]) == len(before["inbox"]) + 1
    assert {name: rows for name, rows in after.items() if name != "inbox"} == {
        name: rows for name, rows in before.items() if name != "inbox"
    }


@pytest.mark.parametrize("event_type", ["billing.fees_settled", "billing.payment_deadline_expired"])
def test_an_event_for_an_unknown_request_changes_nothing(service, event_type):
    before = service.snapshot()
    assert service.billing(event_type, "MR-0000-0000-0000")
    assert service.snapshot()["applications"] == before["applications"]
    assert service.snapshot()["outbox"] == before["outbox"]


def test_an_event_delivered_twice_is_handled_once(service):
    number = service.awaiting_payment()
    event = Event(
        type="billing.payment_deadline_expired",
        producer="billing",
        data={
            "application_number": number,
            "account_id": service.people.applicant,
            "due_at": "2026-12-25T10:00:00Z",
            "expired_at": "2026-12-25T10:00:00Z",
        },
    )
    consumer = service.runtime.consumer(HANDLERS)
    assert consumer.handle(event) is True
    assert consumer.handle(event) is False
    assert len(service.events("applications.application_cancelled")) == 1
    [cancelled] = service.events("applications.application_cancelled")
    assert cancelled["causation_id"] == event.id and cancelled["correlation_id"] == event.correlation_id


def test_an_event_that_breaks_its_contract_fails_so_it_is_retried_then_parked(service):
    number = service.awaiting_payment()
    before = service.snapshot()
    consumer = service.runtime.consumer(HANDLERS)
    with pytest.raises(ValidationError):
        consumer.handle(Event(type="billing.fees_settled", producer="billing", data={"application_number": number}))
    assert service.snapshot() == before


def test_deadlines_handled_together_cancel_each_request_awaiting_payment_once(service):
    unpaid = [service.awaiting_payment() for _ in range(3)]
    moved_on = service.draft()

    def expired(number):
        data = {"application_number": number, "account_id": service.people.applicant}
        data |= {"due_at": "2026-12-25T10:00:00Z", "expired_at": "2026-12-25T10:00:00Z"}
        return Event(type="billing.payment_deadline_expired", producer="billing", data=data)

    events = [expired(number) for number in [*unpaid, moved_on, unpaid[0]]]  # a second deadline of one request
    consumer = service.runtime.consumer(HANDLERS)
    assert consumer.handle_batch(events) == {event.id for event in events}
    for number in unpaid:
        timeline = service.get(f"/v1/applications/{number}", service.people.applicant).json["timeline"]
        assert [entry["status"] for entry in timeline].count("cancelled") == 1
    assert service.get(f"/v1/applications/{moved_on}", service.people.applicant).json["status"] == "draft"
    cancelled = service.events("applications.application_cancelled")
    assert sorted(event["data"]["application_number"] for event in cancelled) == sorted(unpaid)
    assert {event["causation_id"] for event in cancelled} == {event.id for event in events[:3]}
