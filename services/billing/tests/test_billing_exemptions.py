"""Exemptions, waivers and withdrawal: before or after the invoices exist."""

import pytest

from mumaris_shared.events import Event, isoformat

pytestmark = pytest.mark.integration

OWNER, STRANGER = "acct-sara", "acct-omar"


def claim(billing, number="REQ-1", who=OWNER, **overrides):
    body = {"application": number, "kind": "martyr_relative", "evidence_reference": "DOC-77", **overrides}
    return billing.client.post("/v1/exemptions", json=body, headers=billing.bearer(who, "applicant"))


def decide(billing, exemption_id, decision="approve", reason=None, headers=None):
    return billing.client.post(
        f"/v1/exemptions/{exemption_id}/decision",
        json={"decision": decision, "reason": reason},
        headers=headers or billing.reviewer(),
    )


def waive(billing, kinds, number="REQ-1", decision_number="SG-2026-15", headers=None):
    return billing.client.post(
        "/v1/waivers",
        json={"application": number, "decision_number": decision_number, "kinds": kinds},
        headers=headers or billing.secretary(),
    )


@pytest.mark.parametrize("claimed_before_submission", [True, False], ids=["on a draft", "after submission"])
def test_an_approved_martyr_relative_exemption_leaves_only_the_service_fee(billing, claimed_before_submission):
    if not claimed_before_submission:
        billing.submit("REQ-1", OWNER)
    claimed = claim(billing)
    assert claimed.status_code == 201 and claimed.json["status"] == "pending"
    queue = billing.client.get("/v1/exemptions?status=pending", headers=billing.reviewer()).json
    assert [e["id"] for e in queue] == [claimed.json["id"]]
    decided = decide(billing, claimed.json["id"])
    assert decided.status_code == 200 and decided.json["status"] == "approved"
    if claimed_before_submission:
        billing.submit("REQ-1", OWNER)

    invoices = billing.invoices("REQ-1", OWNER)
    assert (invoices["administrative"]["status"], invoices["administrative"]["waived_by"]) == ("waived", "exemption")
    assert invoices["service"]["status"] == "unpaid"
    [event] = billing.events("billing.exemption_decided")
    assert (event["decision"], event["account_id"], event["exemption_id"]) == ("approve", OWNER, claimed.json["id"])
    assert billing.events("billing.fees_settled") == []
    billing.pay(invoices["service"]["id"], OWNER)
    assert len(billing.events("billing.fees_settled")) == 1


def test_an_exemption_approved_after_the_fee_was_paid_refunds_it(billing):
    billing.submit("REQ-1", OWNER)
    admin = billing.invoices("REQ-1", OWNER)["administrative"]
    billing.pay(admin["id"], OWNER)
    decide(billing, claim(billing).json["id"])
    assert billing.invoices("REQ-1", OWNER)["administrative"]["status"] == "waived"
    [refund] = billing.events("billing.refund_decided")
    assert (refund["rule"], refund["amount_halalas"], refund["invoice_id"]) == (
        "exemption_after_payment",
        20000,
        admin["id"],
    )


def test_a_rejected_exemption_needs_a_reason_and_waives_nothing(billing):
    billing.submit("REQ-1", OWNER)
    exemption_id = claim(billing).json["id"]
    before = billing.snapshot()
    billing.refused(decide(billing, exemption_id, "reject"), 422, "validation_failed")
    billing.refused(
        decide(billing, exemption_id, "approve", headers=billing.bearer(OWNER, "applicant")), 403, "forbidden"
    )
    billing.refused(decide(billing, "no-such-exemption"), 404, "not_found")
    assert billing.snapshot() == before
    rejected = decide(billing, exemption_id, "reject", reason="the certificate is not legible")
    assert rejected.json["status"] == "rejected"
    assert billing.events("billing.exemption_decided")[0]["reason"] == "the certificate is not legible"
    assert billing.invoices("REQ-1", OWNER)["administrative"]["status"] == "unpaid"
    before = billing.snapshot()
    billing.refused(decide(billing, exemption_id, "approve"), 409, "already_decided")
    assert billing.snapshot() == before


def test_only_the_owner_claims_an_exemption_for_a_known_request_and_only_once(billing):
    billing.submit("REQ-1", OWNER)
    before = billing.snapshot()
    billing.refused(claim(billing, who=STRANGER), 403, "forbidden")
    billing.refused(claim(billing, kind="veteran"), 422, "validation_failed")
    billing.refused(
        billing.client.post(
            "/v1/exemptions",
            json={"application": "REQ-1", "kind": "martyr_relative", "evidence_reference": "D"},
            headers=billing.reviewer(),
        ),
        403,
        "forbidden",
    )
    assert billing.snapshot() == before
    claim(billing)
    before = billing.snapshot()
    billing.refused(claim(billing), 409, "exemption_exists")
    assert billing.snapshot() == before


def test_an_exemption_claimed_on_a_draft_by_someone_else_does_not_apply(billing):
    exemption_id = claim(billing, who=STRANGER).json["id"]
    decide(billing, exemption_id)
    billing.submit("REQ-1", OWNER)
    assert billing.invoices("REQ-1", OWNER)["administrative"]["status"] == "unpaid"
    [row] = billing.rows("exemptions")
    assert row.status == "rejected" and row.reason == "the claimant is not the owner of the request"


@pytest.mark.parametrize("waived_before_submission", [True, False], ids=["before submission", "after submission"])
def test_a_waiver_of_both_fees_settles_the_request_at_once(billing, waived_before_submission):
    if not waived_before_submission:
        billing.submit("REQ-1", OWNER)
    granted = waive(billing, ["service", "administrative"])
    assert granted.status_code == 201 and granted.json["kinds"] == ["administrative", "service"]
    if waived_before_submission:
        assert billing.events("billing.waiver_granted") == []  # announced once the owner is known
        billing.submit("REQ-1", OWNER)
    invoices = billing.invoices("REQ-1", OWNER)
    assert {(i["status"], i["waived_by"], i["waiver_reference"]) for i in invoices.values()} == {
        ("waived", "waiver", "SG-2026-15")
    }
    [announced] = billing.events("billing.waiver_granted")
    assert (announced["account_id"], announced["decision_number"]) == (OWNER, "SG-2026-15")
    [settled] = billing.events("billing.fees_settled")
    assert settled["application_number"] == "REQ-1"
    assert billing.rows("fee_accounts")[0].status == "settled"


@pytest.mark.postgres
def test_a_waiver_is_the_secretary_general_s_and_recorded_once(billing):
    billing.submit("REQ-1", OWNER)
    before = billing.snapshot()
    billing.refused(waive(billing, ["service"], headers=billing.reviewer()), 403, "forbidden")
    billing.refused(waive(billing, []), 422, "validation_failed")
    billing.refused(waive(billing, ["stamp_duty"]), 422, "validation_failed")
    assert billing.snapshot() == before
    waive(billing, ["service"])
    before = billing.snapshot()
    billing.refused(waive(billing, ["administrative"]), 409, "waiver_exists")
    assert billing.snapshot() == before
    assert billing.invoices("REQ-1", OWNER)["service"]["status"] == "waived"
    assert billing.events("billing.fees_settled") == []


def test_a_withdrawn_request_s_unpaid_invoices_are_cancelled_and_it_is_never_reminded_or_expired(billing):
    billing.submit("REQ-1", OWNER)
    admin = billing.invoices("REQ-1", OWNER)["administrative"]
    billing.pay(admin["id"], OWNER)
    billing.withdraw("REQ-1", OWNER)
    invoices = billing.invoices("REQ-1", OWNER)
    assert (invoices["administrative"]["status"], invoices["service"]["status"]) == ("paid", "cancelled")
    [account] = billing.rows("fee_accounts")
    assert (account.status, account.closed_by, account.next_check_at) == ("closed", "withdrawn", None)
    billing.clock.advance(billing.service.settings.deadlines.deadline)
    assert billing.tick() == 0
    assert billing.events("billing.payment_deadline_expired") == []
    before = billing.snapshot()
    billing.refused(billing.start_payment(invoices["service"]["id"], OWNER), 409, "invoice_cancelled")
    billing.refused(claim(billing), 409, "request_closed")
    billing.refused(waive(billing, ["service"]), 409, "request_closed")
    assert billing.snapshot() == before


def test_a_decision_on_the_request_is_recorded_for_refunds(billing):
    billing.submit("REQ-1", OWNER)
    for invoice in billing.invoices("REQ-1", OWNER).values():
        billing.pay(invoice["id"], OWNER)
    billing.deliver(
        "applications.application_approved",
        application_number="REQ-1",
        account_id=OWNER,
        membership_number="M-1",
        decided_at="2026-12-01T10:00:00Z",
    )
    [account] = billing.rows("fee_accounts")
    assert account.status == "settled" and account.decided_at is not None


def test_no_reviewer_decides_an_exemption_they_claimed_themselves(billing):
    billing.submit("REQ-1", OWNER)
    exemption_id = claim(billing).json["id"]
    # the owner's staff account: another account, the owner's national ID
    at_work = billing.bearer("staff-owner-at-work", "reviewer", national_id=billing.national_id(OWNER))
    before = billing.snapshot()
    billing.refused(decide(billing, exemption_id, headers=at_work), 403, "own_case")
    billing.refused(
        decide(billing, exemption_id, headers=billing.bearer("staff-made-before", "reviewer", national_id=None)),
        403,
        "national_id_missing",
    )
    assert billing.snapshot() == before
    assert decide(billing, exemption_id).json["status"] == "approved"  # another reviewer may


@pytest.mark.postgres
def test_submissions_handled_together_are_assessed_as_one_at_a_time(billing):
    """A run of submissions in one of the consumer's batches goes to the set-based twin: the same
    fee accounts, invoices and events as one at a time; a repeat changes nothing; a request billing
    heard of before (a waiver, a withdrawal) is assessed the long way, with its waiver applied."""

    def submitted(number, owner=OWNER):
        data = {"application_number": number, "account_id": owner, "category": "specialist"}
        data["specialty"] = "cardiology"
        data["submitted_at"] = isoformat(billing.clock())
        return Event(type="applications.application_submitted", producer="applications", data=data)

    for number in ("W-ALONE", "W-TOGETHER"):
        assert waive(billing, ["administrative"], number=number).status_code == 201
    for number in ("X-ALONE", "X-TOGETHER"):
        billing.withdraw(number, OWNER, previous_status="awaiting_payment")
    for number in ("A-ALONE", "W-ALONE", "X-ALONE"):
        assert billing.consumer.handle(submitted(number))
    batch = [submitted(n) for n in ("A-TOGETHER", "W-TOGETHER", "X-TOGETHER", "B-TOGETHER", "A-TOGETHER", "A-ALONE")]
    assert billing.consumer.handle_batch(batch) == {event.id for event in batch}

    def invoices(number):
        return sorted(
            (i["kind"], i["amount_halalas"], i["status"], i["due_at"], i["waived_by"])
            for i in billing.invoices(number, OWNER).values()
        )

    def account(number):
        [row] = [row for row in billing.rows("fee_accounts") if row.application_number == number]
        return (row.status, row.due_at, row.next_check_at, row.closed_by)

    def announced(event_type, number):
        found = [e for e in billing.events(event_type) if e["application_number"] == number]
        for event in found:
            for invoice in [event.get("invoice"), *event.get("invoices", [])]:
                if invoice:
                    assert len(invoice.pop("id")) == 36 and len(invoice.pop("sadad_bill_number")) == 12
            event["application_number"] = event["application_number"].split("-")[0]  # A-ALONE and A-TOGETHER alike
            event.pop("waiver_id", None)
        return found

    for kind in ("A", "W", "X"):
        alone, together = f"{kind}-ALONE", f"{kind}-TOGETHER"
        assert account(together) == account(alone)
        assert invoices(together) == invoices(alone)
        for event_type in ("billing.invoice_issued", "billing.fees_assessed", "billing.waiver_granted"):
            assert announced(event_type, together) == announced(event_type, alone)
    assert invoices("B-TOGETHER") == invoices("A-ALONE")
    assert [len(announced("billing.invoice_issued", n)) for n in ("A-TOGETHER", "B-TOGETHER", "X-TOGETHER")] == [
        2,
        2,
        0,
    ]
    assert len(announced("billing.fees_assessed", "A-ALONE")) == 1  # its repeat in the batch changed nothing
    administrative = invoices("W-TOGETHER")[0]
    assert (administrative[0], administrative[2], administrative[4]) == ("administrative", "waived", "waiver")
    sadad = [row.sadad_bill_number for row in billing.rows("invoices")]
    assert len(sadad) == len(set(sadad)) == 10  # two for each of A, W (alone and together) and B
