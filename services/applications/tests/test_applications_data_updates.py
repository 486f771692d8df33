"""Data updates of an approved request (R11) through the API: approved,
the new data replaces the old and the old stays in the history; rejected, nothing changes; every
refusal answers with the one error shape and changes nothing stored."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from mumaris_shared.contracts import SCHEMAS

pytestmark = pytest.mark.integration

NEW_QUALIFICATION = {"degree": "PhD", "institution": "Imperial College London", "country": "GB", "year": 2020}
CHANGES = {
    "mobile": "05 1234 5678",
    "specialty": "Interventional Cardiology",
    "qualification": NEW_QUALIFICATION,
    "employer": {"name": "King Faisal Specialist Hospital", "city": "Riyadh"},
}
STORED_CHANGES = {**CHANGES, "mobile": "+966512345678"}
ORIGINAL_DATA = {
    "email": None,
    "mobile": None,
    "address": None,
    "specialty": "Cardiology",
    "qualification": {"degree": "MD", "institution": "King Saud University", "country": "SA", "year": 2015},
    "employer": None,
}


def contract_data(event: dict) -> dict:
    assert SCHEMAS[event["type"]]().validate(event["data"]) == {}
    assert event["producer"] == "applications"
    return event["data"]


def current_data(membership: dict) -> dict:
    return {field: membership[field] for field in ORIGINAL_DATA}


def update_entries(timeline: list[dict]) -> list[tuple]:
    assert all("update_id" not in e for e in timeline if not e["status"].startswith("update_"))
    return [(e["status"], e["by"], e["reason"], e["update_id"]) for e in timeline if e["status"].startswith("update_")]


# --- the approve path ---------------------------------------------------------------------------------
def test_an_approved_update_replaces_the_data_and_keeps_the_previous_version(service):
    people = service.people
    number, membership_number = service.membership()
    service.clock.advance(timedelta(days=30))

    submitted = service.submit_update(membership_number, CHANGES)
    assert submitted.status_code == 201, submitted.json
    update_id = submitted.json["id"]
    assert submitted.json["status"] == "under_review"
    assert submitted.json["changes"] == STORED_CHANGES
    assert submitted.json["fields_changed"] == ["mobile", "specialty", "qualification", "employer"]
    [event] = service.events("applications.data_update_submitted")
    assert contract_data(event) == {
        "application_number": number,
        "account_id": people.applicant,
        "update_id": update_id,
        "membership_number": membership_number,
        "fields_changed": ["mobile", "specialty", "qualification", "employer"],
        "submitted_at": submitted.json["submitted_at"],
    }

    service.clock.advance(timedelta(hours=3))
    [queued] = service.get("/v1/review-queue", people.reviewer).json
    assert (queued["kind"], queued["update_id"], queued["number"]) == ("data_update", update_id, number)
    assert queued["membership_number"] == membership_number and queued["status"] == "under_review"
    assert queued["fields_changed"] == submitted.json["fields_changed"]
    assert queued["under_review_at"] == submitted.json["submitted_at"] and queued["waiting_seconds"] == 3 * 3600
    assert queued["review_started_at"] is None and queued["reviewer_id"] is None

    taken = service.on_update(update_id, "review")
    assert taken.status_code == 200, taken.json
    assert taken.json["status"] == "under_review" and taken.json["reviewer_id"] == people.reviewer
    assert taken.json["review_started_at"] is not None
    assert service.on_update(update_id, "review").json == taken.json  # taking it again records nothing new

    service.clock.advance(timedelta(hours=1))
    approved = service.on_update(update_id, "decision", body={"decision": "approve"})
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved" and approved.json["reason"] is None
    [event] = service.events("applications.data_update_approved")
    assert contract_data(event) == {
        "application_number": number,
        "account_id": people.applicant,
        "update_id": update_id,
        "membership_number": membership_number,
        "decided_at": approved.json["decided_at"],
    }
    assert service.get("/v1/review-queue", people.reviewer).json == []

    membership = service.get(f"/v1/memberships/{membership_number}", people.applicant).json
    assert membership["status"] == "approved" and membership["number"] == number
    assert membership["version"] == 2
    assert current_data(membership) == {**ORIGINAL_DATA, **STORED_CHANGES}
    assert membership["history"] == [
        {"version": 1, "data": ORIGINAL_DATA, "replaced_at": approved.json["decided_at"], "update_id": update_id}
    ]
    assert [(u["id"], u["status"], u["changes"]) for u in membership["updates"]] == [
        (update_id, "approved", STORED_CHANGES)
    ]

    request = service.get(f"/v1/applications/{number}", people.applicant).json
    assert request["status"] == "approved" and request["membership_number"] == membership_number
    assert request["specialty"] == "Interventional Cardiology" and request["qualification"] == NEW_QUALIFICATION
    assert update_entries(request["timeline"]) == [
        ("update_submitted", people.applicant, None, update_id),
        ("update_review_started", people.reviewer, None, update_id),
        ("update_approved", people.reviewer, None, update_id),
    ]
    assert request["updated_at"] == approved.json["decided_at"]
    assert service.get(f"/v1/updates/{update_id}", people.applicant).json == approved.json

    # A later update keeps the whole history.
    second = service.open_update(membership_number, {"email": "Sara@Example.com", "address": "Jeddah"})
    assert (
        service.on_update(second, "decision", body={"decision": "approve", "reason": "proof seen"}).status_code == 200
    )
    membership = service.get(f"/v1/memberships/{membership_number}", people.secretary).json
    assert membership["version"] == 3
    assert current_data(membership) == {
        **ORIGINAL_DATA,
        **STORED_CHANGES,
        "email": "sara@example.com",
        "address": "Jeddah",
    }
    assert [(v["version"], v["data"], v["update_id"]) for v in membership["history"]] == [
        (1, ORIGINAL_DATA, update_id),
        (2, {**ORIGINAL_DATA, **STORED_CHANGES}, second),
    ]
    assert [u["reason"] for u in membership["updates"]] == [None, "proof seen"]


# --- the reject path ----------------------------------------------------------------------------------
def test_a_rejected_update_changes_nothing_and_shows_its_reason(service):
    people = service.people
    number, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES)
    before = service.snapshot()

    rejected = service.on_update(update_id, "decision", body={"decision": "reject", "reason": "  no proof of the PhD "})
    assert rejected.status_code == 200, rejected.json
    assert (rejected.json["status"], rejected.json["reason"]) == ("rejected", "no proof of the PhD")
    [event] = service.events("applications.data_update_rejected")
    assert contract_data(event) == {
        "application_number": number,
        "account_id": people.applicant,
        "update_id": update_id,
        "membership_number": membership_number,
        "reason": "no proof of the PhD",
        "decided_at": rejected.json["decided_at"],
    }
    assert service.events("applications.data_update_approved") == []

    after = service.snapshot()
    assert after["membership_versions"] == before["membership_versions"] == []
    membership = service.get(f"/v1/memberships/{membership_number}", people.applicant).json
    assert current_data(membership) == ORIGINAL_DATA and membership["history"] == [] and membership["version"] == 1
    [shown] = membership["updates"]
    assert (shown["id"], shown["status"], shown["reason"]) == (update_id, "rejected", "no proof of the PhD")
    request = service.get(f"/v1/applications/{number}", people.applicant).json
    assert request["status"] == "approved" and request["specialty"] == "Cardiology"
    assert update_entries(request["timeline"])[-1] == (
        "update_rejected",
        people.reviewer,
        "no proof of the PhD",
        update_id,
    )
    # The rejected update is closed: a new one may be submitted.
    assert service.submit_update(membership_number, {"address": "Riyadh"}).status_code == 201


# --- who may submit and read ----------------------------------------------------------------------------
def test_another_users_membership_number_is_refused_like_an_unknown_one(service):
    people = service.people
    _, membership_number = service.membership()
    mine = service.open_update(membership_number, {"address": "Riyadh"}, taken=False)
    unknown = "1234567897"  # a valid Luhn number no request holds
    answers = [
        service.refused(404, "not_found", call)
        for call in (
            lambda: service.submit_update(membership_number, CHANGES, people.other_applicant),
            lambda: service.submit_update(unknown, CHANGES, people.other_applicant),
            lambda: service.submit_update("not-a-number", CHANGES, people.other_applicant),
            lambda: service.get(f"/v1/memberships/{membership_number}", people.other_applicant),
            lambda: service.get(f"/v1/memberships/{unknown}", people.other_applicant),
        )
    ]
    assert all(answer == answers[0] for answer in answers)
    update_answers = [
        service.refused(404, "not_found", call)
        for call in (
            lambda: service.get(f"/v1/updates/{mine}", people.other_applicant),
            lambda: service.get("/v1/updates/00000000-0000-0000-0000-000000000000", people.other_applicant),
        )
    ]
    assert update_answers[0] == update_answers[1]
    assert service.get(f"/v1/updates/{mine}", people.secretary).status_code == 200
    assert service.get(f"/v1/memberships/{membership_number}", people.reviewer).status_code == 200


def test_staff_cannot_submit_an_update_and_a_token_is_needed(service):
    _, membership_number = service.membership()
    service.refused(
        403, "forbidden", lambda: service.submit_update(membership_number, CHANGES, service.people.reviewer)
    )
    service.refused(
        401,
        "unauthenticated",
        lambda: service.client.post(f"/v1/memberships/{membership_number}/updates", json={"changes": CHANGES}),
    )


# --- bad input ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, field",
    [
        ({"category": "technician"}, "category"),
        ({"mobile": "0412345678"}, "mobile"),
        ({"email": "sara-at-example"}, "email"),
        ({"qualification": {**NEW_QUALIFICATION, "year": 2999}}, "qualification"),
        ({"qualification": {"degree": "PhD"}}, "qualification"),
        ({"employer": "King Faisal Specialist Hospital"}, "employer"),
        ({"specialty": "  "}, "specialty"),
        ({"address": None}, "address"),
    ],
    ids=[
        "unknown field",
        "not a Saudi mobile",
        "bad e-mail",
        "future year",
        "partial qualification",
        "employer as text",
        "empty specialty",
        "null address",
    ],
)
def test_an_update_with_unknown_fields_or_invalid_values_is_422_and_changes_nothing(service, changes, field):
    _, membership_number = service.membership()
    error = service.refused(422, "validation_failed", lambda: service.submit_update(membership_number, changes))
    assert field in error["details"]["fields"]["changes"]


@pytest.mark.parametrize(
    "body",
    [{"changes": {}}, {}, {"changes": None}, {"changes": {}, "note": "x"}],
    ids=["empty changes", "no changes", "null changes", "extra field"],
)
def test_an_update_without_changes_is_422_and_changes_nothing(service, body):
    _, membership_number = service.membership()
    call = lambda: service.client.post(
        f"/v1/memberships/{membership_number}/updates", json=body, headers=service.bearer(service.people.applicant)
    )
    assert service.refused(422, "validation_failed", call)["details"]["fields"]


def test_a_second_open_update_is_409_naming_the_open_one(service):
    _, membership_number = service.membership()
    first = service.open_update(membership_number, {"address": "Riyadh"}, taken=False)
    error = service.refused(
        409, "update_already_open", lambda: service.submit_update(membership_number, {"address": "Jeddah"})
    )
    assert error["details"] == {"update_id": first}
    service.on_update(first, "review")  # still open once taken
    service.refused(409, "update_already_open", lambda: service.submit_update(membership_number, {"address": "Jeddah"}))
    assert len(service.events("applications.data_update_submitted")) == 1


# --- reviewing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["applicant", "secretary"])
def test_only_reviewers_take_and_decide_updates(service, who):
    caller = getattr(service.people, who)
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES)
    service.refused(403, "forbidden", lambda: service.on_update(update_id, "decision", caller, {"decision": "approve"}))
    service.refused(403, "forbidden", lambda: service.on_update(update_id, "review", caller))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_an_update_without_a_reason_is_422(service, reason):
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES)
    body = {"decision": "reject"} if reason is None else {"decision": "reject", "reason": reason}
    error = service.refused(422, "validation_failed", lambda: service.on_update(update_id, "decision", body=body))
    assert "reason" in error["details"]["fields"]


def test_deciding_an_update_before_taking_it_is_409(service):
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES, taken=False)
    error = service.refused(
        409, "illegal_transition", lambda: service.on_update(update_id, "decision", body={"decision": "approve"})
    )
    assert error["details"] == {"current_status": "under_review", "review_started": False}


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decided_update_cannot_be_taken_or_decided_again(service, decision):
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES)
    assert service.on_update(update_id, "decision", body={"decision": decision, "reason": "checked"}).status_code == 200
    error = service.refused(
        409, "illegal_transition", lambda: service.on_update(update_id, "decision", body={"decision": "approve"})
    )
    assert error["details"]["current_status"] == {"approve": "approved", "reject": "rejected"}[decision]
    other = service.people.other_reviewer
    service.refused(409, "taken_by_another_reviewer", lambda: service.on_update(update_id, "review", other))


def test_an_update_taken_by_another_reviewer_cannot_be_taken_or_decided(service):
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, CHANGES)
    other = service.people.other_reviewer
    error = service.refused(409, "taken_by_another_reviewer", lambda: service.on_update(update_id, "review", other))
    assert error["details"] == {"current_status": "under_review", "reviewer_id": service.people.reviewer}
    service.refused(
        409,
        "taken_by_another_reviewer",
        lambda: service.on_update(update_id, "decision", other, {"decision": "reject", "reason": "no"}),
    )


def test_an_unknown_update_is_404(service):
    unknown = "00000000-0000-0000-0000-000000000000"
    service.refused(404, "not_found", lambda: service.on_update(unknown, "review"))
    service.refused(404, "not_found", lambda: service.on_update(unknown, "decision", body={"decision": "approve"}))
    service.refused(404, "not_found", lambda: service.get(f"/v1/updates/{unknown}", service.people.reviewer))


def test_the_queue_lists_requests_and_updates_longest_waiting_first(service):
    _, membership_number = service.membership()
    update_id = service.open_update(membership_number, {"address": "Riyadh"}, taken=False)
    service.clock.advance(timedelta(minutes=5))
    number = service.under_review(service.people.other_applicant)
    queue = service.get("/v1/review-queue", service.people.reviewer).json
    assert [(entry["kind"], entry.get("update_id"), entry["number"]) for entry in queue] == [
        ("data_update", update_id, service.get(f"/v1/updates/{update_id}", service.people.reviewer).json["number"]),
        ("application", None, number),
    ]


@pytest.mark.postgres
def test_two_updates_submitted_at_once_open_one(service):
    _, membership_number = service.membership()
    app = service.client.application

    def submit(address):
        return (
            app.test_client()
            .post(
                f"/v1/memberships/{membership_number}/updates",
                json={"changes": {"address": address}},
                headers=service.bearer(service.people.applicant),
            )
            .status_code
        )

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(submit, ["Riyadh", "Jeddah"]))
    assert codes == [201, 409]
    assert len(service.events("applications.data_update_submitted")) == 1
    assert len(service.get(f"/v1/memberships/{membership_number}", service.people.applicant).json["updates"]) == 1
