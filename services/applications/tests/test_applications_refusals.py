"""Refused requests: each answers with the one error shape and the right status, and changes nothing."""

import pytest

pytestmark = pytest.mark.integration


def qualification(**overrides) -> dict:
    return {"degree": "MD", "institution": "King Saud University", "country": "SA", "year": 2015, **overrides}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"category": "surgeon"}, "category"),
        ({"extra": "field"}, "extra"),
        ({"qualification": {**qualification(), "grade": "A"}}, "qualification"),
        ({"qualification": qualification(year=2999)}, "qualification"),
        ({"qualification": qualification(year="2015")}, "qualification"),
        ({"specialty": "   "}, "specialty"),
        ({"dataflow_reference": "DF 123; drop"}, "dataflow_reference"),
        ({"category": None}, "category"),
    ],
    ids=[
        "unknown category",
        "extra field",
        "extra qualification field",
        "future year",
        "year as text",
        "empty specialty",
        "bad dataflow reference",
        "null category",
    ],
)
def test_invalid_request_is_refused_and_changes_nothing(service, overrides, field):
    error = service.refused(422, "validation_failed", lambda: service.create(**overrides))
    assert field in error["details"]["fields"]


def test_a_missing_field_is_refused_and_changes_nothing(service):
    body = {k: v for k, v in service.request_body.items() if k != "qualification"}
    call = lambda: service.client.post("/v1/applications", json=body, headers=service.bearer(service.people.applicant))
    assert "qualification" in service.refused(422, "validation_failed", call)["details"]["fields"]


def test_malformed_json_is_refused_and_changes_nothing(service):
    call = lambda: service.client.post(
        "/v1/applications",
        data='{"category": ',
        content_type="application/json",
        headers=service.bearer(service.people.applicant),
    )
    service.refused(400, "malformed_json", call)


def test_creating_without_a_token_is_401_and_as_staff_403(service):
    service.refused(401, "unauthenticated", lambda: service.client.post("/v1/applications", json=service.request_body))
    service.refused(403, "forbidden", lambda: service.create(service.people.reviewer))


def test_submitting_twice_is_409_with_the_current_status(service):
    number = service.awaiting_payment()
    error = service.refused(409, "illegal_transition", lambda: service.post(number, "submit", service.people.applicant))
    assert error["details"]["current_status"] == "awaiting_payment"
    assert len(service.events("applications.application_submitted")) == 1


def test_someone_elses_request_and_an_unknown_number_get_the_same_404(service):
    people = service.people
    number = service.draft()
    unknown = "MR-0000-0000-0000"
    answers = []
    for call in (
        lambda: service.get(f"/v1/applications/{number}", people.other_applicant),
        lambda: service.get(f"/v1/applications/{unknown}", people.other_applicant),
        lambda: service.get("/v1/applications/not-a-number", people.other_applicant),
        lambda: service.post(number, "submit", people.other_applicant),
        lambda: service.post(unknown, "submit", people.other_applicant),
        lambda: service.post(number, "withdraw", people.other_applicant),
        lambda: service.post(unknown, "withdraw", people.other_applicant),
    ):
        answers.append(service.refused(404, "not_found", call))
    assert all(answer == answers[0] for answer in answers)


def test_a_reviewer_cannot_submit_or_withdraw_for_the_owner(service):
    number = service.draft()
    service.refused(403, "forbidden", lambda: service.post(number, "submit", service.people.reviewer))
    service.refused(403, "forbidden", lambda: service.post(number, "withdraw", service.people.reviewer))


@pytest.mark.parametrize("who", ["applicant", "secretary"])
def test_only_reviewers_take_decide_and_see_the_queue(service, who):
    caller = getattr(service.people, who)
    number = service.taken()
    service.refused(403, "forbidden", lambda: service.post(number, "decision", caller, {"decision": "approve"}))
    service.refused(403, "forbidden", lambda: service.post(number, "review", caller))
    service.refused(403, "forbidden", lambda: service.get("/v1/review-queue", caller))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_without_a_reason_is_422(service, reason):
    number = service.taken()
    body = {"decision": "reject"} if reason is None else {"decision": "reject", "reason": reason}
    error = service.refused(
        422, "validation_failed", lambda: service.post(number, "decision", service.people.reviewer, body)
    )
    assert "reason" in error["details"]["fields"]


@pytest.mark.parametrize(
    "body, field",
    [({"decision": "maybe"}, "decision"), ({}, "decision"), ({"decision": "approve", "grade": "A"}, "grade")],
)
def test_an_invalid_decision_is_422(service, body, field):
    number = service.taken()
    error = service.refused(
        422, "validation_failed", lambda: service.post(number, "decision", service.people.reviewer, body)
    )
    assert field in error["details"]["fields"]


def test_deciding_before_the_review_started_is_409(service):
    number = service.under_review()
    error = service.refused(
        409,
        "illegal_transition",
        lambda: service.post(number, "decision", service.people.reviewer, {"decision": "approve"}),
    )
    assert error["details"] == {"current_status": "under_review", "review_started": False}


@pytest.mark.parametrize("stage", ["draft", "awaiting_payment"])
def test_taking_or_deciding_a_request_not_under_review_is_409(service, stage):
    number = getattr(service, stage)()
    reviewer = service.people.reviewer
    assert (
        service.refused(409, "illegal_transition", lambda: service.post(number, "review", reviewer))["details"][
            "current_status"
        ]
        == stage
    )
    service.refused(
        409, "illegal_transition", lambda: service.post(number, "decision", reviewer, {"decision": "approve"})
    )


def test_a_request_taken_by_another_reviewer_cannot_be_taken_or_decided(service):
    number = service.taken()
    other = service.people.other_reviewer
    error = service.refused(409, "taken_by_another_reviewer", lambda: service.post(number, "review", other))
    assert error["details"] == {"current_status": "under_review", "reviewer_id": service.people.reviewer}
    service.refused(
        409,
        "taken_by_another_reviewer",
        lambda: service.post(number, "decision", other, {"decision": "reject", "reason": "no"}),
    )


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decided_request_cannot_be_decided_again(service, decision):
    number = service.decided(decision)
    service.refused(
        409,
        "illegal_transition",
        lambda: service.post(number, "decision", service.people.reviewer, {"decision": "approve"}),
    )


def test_deciding_an_unknown_request_is_404(service):
    service.refused(
        404,
        "not_found",
        lambda: service.post("MR-0000-0000-0000", "decision", service.people.reviewer, {"decision": "approve"}),
    )
    service.refused(404, "not_found", lambda: service.post("MR-0000-0000-0000", "review", service.people.reviewer))


def test_nobody_takes_or_decides_a_request_whose_applicant_is_themselves(service):
    number = service.under_review()  # Sara's
    sara_at_work = service.people.applicant_at_work  # her staff account: another account, her national ID
    service.refused(403, "own_case", lambda: service.post(number, "review", sara_at_work))
    assert service.post(number, "review", service.people.reviewer).status_code == 200  # someone else may
    decision = {"decision": "approve", "reason": "in order"}
    service.refused(403, "own_case", lambda: service.post(number, "decision", sara_at_work, decision))


def test_nobody_takes_or_decides_a_data_update_of_their_own_membership(service):
    _number, membership_number = service.membership()
    update_id = service.open_update(membership_number, {"mobile": "0557654321"}, taken=False)
    sara_at_work = service.people.applicant_at_work
    service.refused(403, "own_case", lambda: service.on_update(update_id, "review", as_=sara_at_work))
    assert service.on_update(update_id, "review").status_code == 200
    body = {"decision": "approve", "reason": "in order"}
    service.refused(403, "own_case", lambda: service.on_update(update_id, "decision", as_=sara_at_work, body=body))


def test_a_member_of_staff_with_no_national_id_on_record_decides_nothing(service):
    number = service.under_review()
    headers = service.bearer("acct-reviewer-made-before", "reviewer")  # a token with no national ID
    service.refused(
        403, "national_id_missing", lambda: service.client.post(f"/v1/applications/{number}/review", headers=headers)
    )
