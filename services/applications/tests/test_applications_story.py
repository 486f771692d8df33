"""A request's whole life through the API and the consumer's handlers (the story, races and
number collisions on PostgreSQL too)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from applications.domain.numbers import is_membership_number
from mumaris_shared.broker import ConfirmingPublisher
from mumaris_shared.contracts import SCHEMAS
from mumaris_shared.outbox import Relay

pytestmark = pytest.mark.integration


def contract_data(event: dict) -> dict:
    """The event's data, after checking it against its contract."""
    assert SCHEMAS[event["type"]]().validate(event["data"]) == {}
    assert event["producer"] == "applications"
    return event["data"]


@pytest.mark.postgres
def test_create_submit_pay_review_and_approve(service):
    people = service.people
    created = service.create()
    assert created.status_code == 201, created.json
    number = created.json["number"]
    assert created.json["status"] == "draft" and created.json["membership_number"] is None
    assert created.json["qualification"] == service.request_body["qualification"]
    assert created.json["account_id"] == people.applicant
    assert [entry["status"] for entry in created.json["timeline"]] == ["draft"]

    refused = service.post(number, "submit", people.applicant)  # not without its documents
    assert refused.status_code == 422 and refused.json["error"]["details"]["missing"] == [
        "degree",
        "identity",
        "specialty_certificate",
    ]
    service.with_documents(number)
    submitted = service.post(number, "submit", people.applicant)
    assert submitted.status_code == 200
    assert (submitted.json["number"], submitted.json["status"]) == (number, "awaiting_payment")
    [event] = service.events("applications.application_submitted")
    assert contract_data(event) == {
        "application_number": number,
        "account_id": people.applicant,
        "category": "consultant",
        "specialty": "Cardiology",
        "submitted_at": submitted.json["submitted_at"],
        "kind": "registration",
    }

    assert service.billing("billing.fees_settled", number)
    assert service.get(f"/v1/applications/{number}", people.applicant).json["status"] == "under_review"

    service.clock.advance(timedelta(hours=2))
    [queued] = service.get("/v1/review-queue", people.reviewer).json
    assert queued["number"] == number and queued["waiting_seconds"] >= 2 * 3600 - 60
    assert queued["review_started_at"] is None and queued["reviewer_id"] is None

    taken = service.post(number, "review", people.reviewer)
    assert taken.status_code == 200
    assert taken.json["status"] == "under_review" and taken.json["review_started_at"] is not None
    [started] = service.events("applications.application_review_started")
    assert contract_data(started) == {
        "application_number": number,
        "account_id": people.applicant,
        "reviewer_id": people.reviewer,
        "started_at": taken.json["review_started_at"],
    }
    [queued] = service.get("/v1/review-queue", people.reviewer).json
    assert queued["reviewer_id"] == people.reviewer and queued["review_started_at"] == taken.json["review_started_at"]

    unverified = service.post(number, "decision", people.reviewer, {"decision": "approve"})
    assert unverified.status_code == 409 and unverified.json["error"]["code"] == "qualification_not_verified"
    verified = service.post(number, "dataflow", people.reviewer, {"outcome": "verified", "note": "DF confirmed"})
    assert verified.status_code == 200 and verified.json["dataflow"]["outcome"] == "verified"
    approved = service.post(number, "decision", people.reviewer, {"decision": "approve"})
    assert approved.status_code == 200, approved.json
    membership_number = approved.json["membership_number"]
    assert approved.json["status"] == "approved" and is_membership_number(membership_number)
    [event] = service.events("applications.application_approved")
    assert contract_data(event)["membership_number"] == membership_number
    assert service.get("/v1/review-queue", people.reviewer).json == []

    mine = service.get(f"/v1/applications/{number}", people.applicant).json
    assert mine["membership_number"] == membership_number
    assert [(e["status"], e["by"], e["reason"]) for e in mine["timeline"]] == [
        ("draft", people.applicant, None),
        ("awaiting_payment", people.applicant, None),
        ("under_review", "system", "fees settled"),
        ("review_started", people.reviewer, None),
        ("dataflow_recorded", people.reviewer, "DF confirmed"),
        ("approved", people.reviewer, None),
    ]
    assert all(entry["at"].endswith("Z") for entry in mine["timeline"])
    assert mine["updated_at"] == mine["timeline"][-1]["at"]


def test_a_rejection_keeps_its_reason_on_the_timeline_and_in_the_event(service):
    people = service.people
    number = service.taken()
    rejected = service.post(
        number, "decision", people.reviewer, {"decision": "reject", "reason": "  degree not recognised "}
    )
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected" and rejected.json["membership_number"] is None
    assert rejected.json["timeline"][-1] == {
        "status": "rejected",
        "at": rejected.json["decided_at"],
        "by": people.reviewer,
        "reason": "degree not recognised",
    }
    [event] = service.events("applications.application_rejected")
    assert contract_data(event)["reason"] == "degree not recognised"
    assert service.events("applications.application_approved") == []


def test_the_public_status_shows_the_status_and_last_change_and_nothing_personal(service):
    number = service.awaiting_payment()
    service.clock.advance(timedelta(minutes=5))
    assert service.billing("billing.fees_settled", number)
    detail = service.get(f"/v1/applications/{number}", service.people.applicant).json
    response = service.get(f"/v1/status/{number.lower()}")  # no token; typed in lower case
    assert response.status_code == 200
    assert response.json == {"number": number, "status": "under_review", "updated_at": detail["updated_at"]}


def test_unknown_public_status_is_404(service):
    response = service.get("/v1/status/MR-0000-0000-0000")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_one_lists_ones_own_requests_newest_first(service):
    people = service.people
    first = service.draft()
    service.clock.advance(timedelta(minutes=1))
    second = service.awaiting_payment()
    service.draft(people.other_applicant)
    mine = service.get("/v1/applications", people.applicant).json
    assert [(r["number"], r["status"]) for r in mine] == [(second, "awaiting_payment"), (first, "draft")]
    assert service.get("/v1/applications", people.reviewer).json == []


@pytest.mark.parametrize("staff", ["reviewer", "secretary"])
def test_staff_read_anyones_request(service, staff):
    number = service.draft()
    response = service.get(f"/v1/applications/{number}", getattr(service.people, staff))
    assert response.status_code == 200 and response.json["number"] == number


def test_the_queue_is_oldest_first_by_the_time_requests_entered_review(service):
    people = service.people
    created_first, created_second = service.awaiting_payment(), service.awaiting_payment(people.other_applicant)
    assert service.billing("billing.fees_settled", created_second)  # paid first: reviewed first
    assert service.billing("billing.fees_settled", created_first)
    service.awaiting_payment()  # not paid: not in the queue
    queue = service.get("/v1/review-queue", people.reviewer).json
    assert [entry["number"] for entry in queue] == [created_second, created_first]
    assert queue[0]["under_review_at"] <= queue[1]["under_review_at"]


def test_the_queue_narrowed_to_some_applicants_holds_only_their_requests(service):
    people = service.people
    saras, omars = service.under_review(), service.under_review(people.other_applicant)
    queue = lambda query: service.get(f"/v1/review-queue{query}", people.reviewer).json
    assert [(e["number"], e["account_id"]) for e in queue(f"?account={people.other_applicant}")] == [
        (omars, people.other_applicant)
    ]
    assert {e["number"] for e in queue(f"?account={people.applicant}&account={people.other_applicant}")} == {
        saras,
        omars,
    }
    assert queue("?account=nobody") == []


def test_taking_a_request_one_already_took_is_harmless(service):
    number = service.taken()
    again = service.post(number, "review", service.people.reviewer)
    assert again.status_code == 200
    assert len(service.events("applications.application_review_started")) == 1
    assert [e["status"] for e in again.json["timeline"]].count("review_started") == 1


def test_events_reach_the_broker_through_the_relay(service, rabbitmq_url, event_waiter):
    number = service.awaiting_payment()
    publisher = ConfirmingPublisher(rabbitmq_url).start()
    try:
        assert publisher.wait_ready(30)
        assert Relay(service.runtime.outbox, publisher).relay_once() >= 1
    finally:
        publisher.close()
    [event] = event_waiter.wait_for(
        "applications.application_submitted", where=lambda e: e.data["application_number"] == number
    )
    assert event.producer == "applications" and event.data["category"] == "consultant"


def test_the_service_documents_its_routes(service):
    paths = service.get("/openapi.json").json["paths"]
    assert {
        "/v1/applications",
        "/v1/applications/{number}",
        "/v1/applications/{number}/submit",
        "/v1/applications/{number}/withdraw",
        "/v1/applications/{number}/review",
        "/v1/applications/{number}/decision",
        "/v1/status/{number}",
        "/v1/review-queue",
    } <= set(paths)


@pytest.mark.postgres
def test_a_membership_number_already_held_is_never_issued_twice(service, monkeypatch):
    first = service.decided("approve")
    held = service.get(f"/v1/applications/{first}", service.people.applicant).json["membership_number"]
    fresh = "1234567897"
    offered = iter([held, held, fresh])
    monkeypatch.setattr("applications.service.review.new_membership_number", lambda: next(offered))
    second = service.verified(service.people.other_applicant)
    approved = service.post(second, "decision", service.people.reviewer, {"decision": "approve"})
    assert approved.status_code == 200, approved.json
    assert approved.json["membership_number"] == fresh
    assert [e["status"] for e in approved.json["timeline"]].count("approved") == 1


@pytest.mark.postgres
def test_two_reviewers_taking_one_request_at_once_leave_it_with_one(service):
    number = service.under_review()
    app = service.client.application

    def take(reviewer):
        return app.test_client().post(f"/v1/applications/{number}/review", headers=service.bearer(reviewer)).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(take, [service.people.reviewer, service.people.other_reviewer]))
    assert codes == [200, 409]
    assert len(service.events("applications.application_review_started")) == 1
