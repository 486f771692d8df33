"""A request's life through the gateway: sent, two fees paid within the deadline by several
methods, exemptions and waivers, cancellation when the deadline passes, review and approval."""

import uuid

import pytest

pytestmark = pytest.mark.e2e

SAR = 100  # halalas


def test_send_pay_by_sadad_and_card_review_and_approve(gateway):
    person, token = gateway.active_account(language="en")
    _reviewer_email, reviewer = gateway.staff("reviewer")
    number = gateway.new_request(token, category="consultant")

    invoices = gateway.invoices(token, number)
    assert {kind: i["amount_halalas"] for kind, i in invoices.items()} == {
        "administrative": 200 * SAR,
        "service": 1600 * SAR,
    }
    assert all(i["status"] == "unpaid" for i in invoices.values())
    sent_mail = gateway.mail_about(
        person["email"],
        number,
        invoices["administrative"]["sadad_bill_number"],
        invoices["service"]["sadad_bill_number"],
    )
    assert "200.00" in sent_mail["text"] and "1,600.00" in sent_mail["text"]

    sadad = gateway.pay(token, invoices["administrative"]["id"], "sadad")
    assert sadad["bill_number"] == invoices["administrative"]["sadad_bill_number"]
    gateway.pay(token, invoices["service"]["id"], "credit_card")
    gateway.status_becomes(token, number, "under_review")
    assert {i["status"] for i in gateway.invoices(token, number).values()} == {"paid"}

    queue = gateway.call("GET", "/api/applications/v1/review-queue", token=reviewer).json()
    assert number in [item["number"] for item in queue]
    assert gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=reviewer).status_code == 200
    gateway.verify(reviewer, number)
    decided = gateway.call(
        "POST",
        f"/api/applications/v1/applications/{number}/decision",
        token=reviewer,
        json={"decision": "approve", "reason": "qualifications verified"},
    )
    assert decided.status_code == 200, decided.text

    request = gateway.call("GET", f"/api/applications/v1/applications/{number}", token=token).json()
    assert request["status"] == "approved" and request["membership_number"]
    assert [step["status"] for step in request["timeline"]] == [
        "draft",
        "awaiting_payment",
        "under_review",
        "review_started",
        "dataflow_recorded",
        "approved",
    ]
    gateway.mail_about(person["email"], request["membership_number"])
    public = gateway.call("GET", f"/api/applications/v1/status/{number}").json()
    assert set(public) == {"number", "status", "updated_at"} and public["status"] == "approved"


def test_the_martyrs_relative_exemption_leaves_only_the_service_fee(gateway):
    person, token = gateway.active_account(language="ar")
    _email, reviewer = gateway.staff("reviewer")
    number = gateway.new_request(token, category="technician")
    claim = gateway.call(
        "POST",
        "/api/billing/v1/exemptions",
        token=token,
        json={"application": number, "kind": "martyr_relative", "evidence_reference": "MOD-CERT-2026-0042"},
    )
    assert claim.status_code == 201, claim.text
    decided = gateway.call(
        "POST",
        f"/api/billing/v1/exemptions/{claim.json()['id']}/decision",
        token=reviewer,
        json={"decision": "approve", "reason": "certificate verified"},
    )
    assert decided.status_code == 200, decided.text

    invoices = gateway.invoices(token, number)
    gateway_status = {kind: i["status"] for kind, i in invoices.items()}
    assert gateway_status == {"administrative": "waived", "service": "unpaid"}
    gateway.pay(token, invoices["service"]["id"], "mada")
    gateway.status_becomes(token, number, "under_review")


def test_a_waiver_of_both_fees_sends_the_request_straight_to_review(gateway):
    _person, token = gateway.active_account()
    _email, secretary = gateway.staff("secretary_general")
    number = gateway.new_request(token, category="pharmacist")
    waiver = gateway.call(
        "POST",
        "/api/billing/v1/waivers",
        token=secretary,
        json={"application": number, "decision_number": "SG-1448-117", "kinds": ["administrative", "service"]},
    )
    assert waiver.status_code == 201, waiver.text
    gateway.status_becomes(token, number, "under_review")
    assert {i["status"] for i in gateway.invoices(token, number).values()} == {"waived"}


def test_bad_input_is_refused_clearly_and_changes_nothing(gateway):
    _person, token = gateway.active_account()
    _other, other_token = gateway.active_account()
    _email, reviewer = gateway.staff("reviewer")
    applications = "/api/applications/v1/applications"

    unknown_category = gateway.call(
        "POST",
        applications,
        token=token,
        json={
            "category": "astronaut",
            "specialty": "x",
            "qualification": {"degree": "MBBS", "institution": "KSU", "country": "SA", "year": 2015},
            "dataflow_reference": "DF-1",
        },
    )
    gateway.expect_error(unknown_category, 422, "validation_failed")

    number = gateway.new_request(token)
    gateway.expect_error(
        gateway.call("POST", f"{applications}/{number}/submit", token=token), 409, "illegal_transition"
    )

    invoices = gateway.invoices(token, number)
    foreign = gateway.call(
        "POST",
        f"/api/billing/v1/invoices/{invoices['service']['id']}/payments",
        token=other_token,
        json={"method": "mada"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    gateway.expect_error(foreign, 403, "forbidden")

    gateway.pay(token, invoices["administrative"]["id"], "apple_pay")
    settled = gateway.call(
        "POST",
        f"/api/billing/v1/invoices/{invoices['administrative']['id']}/payments",
        token=token,
        json={"method": "mada"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    gateway.expect_error(settled, 409, "invoice_settled")

    gateway.expect_error(
        gateway.call(
            "POST", f"{applications}/{number}/decision", token=token, json={"decision": "approve", "reason": "me"}
        ),
        403,
        "forbidden",
    )

    gateway.pay(token, invoices["service"]["id"], "credit_card")
    gateway.status_becomes(token, number, "under_review")
    gateway.call("POST", f"{applications}/{number}/review", token=reviewer)
    gateway.expect_error(
        gateway.call(
            "POST", f"{applications}/{number}/decision", token=reviewer, json={"decision": "reject", "reason": ""}
        ),
        422,
        "validation_failed",
    )
    assert gateway.call("GET", f"{applications}/{number}", token=token).json()["status"] == "under_review"

    # unknown and someone else's look the same: 404, no hint
    unknown = gateway.call("GET", f"{applications}/MR-0000-0000-0000", token=token)
    someone_elses = gateway.call("GET", f"{applications}/{number}", token=other_token)
    assert gateway.expect_error(unknown, 404, "not_found") == gateway.expect_error(someone_elses, 404, "not_found")
    gateway.expect_error(gateway.call("GET", "/api/applications/v1/status/MR-0000-0000-0000"), 404, "not_found")


def test_an_unpaid_request_is_reminded_then_cancelled_and_a_late_payment_refused(start_another_platform, gateway_for):
    with start_another_platform(
        BILLING_PAYMENT_DEADLINE="PT8S", BILLING_REMINDERS="PT5S,PT2S", BILLING_SCHEDULER_INTERVAL="PT0.2S"
    ) as platform:
        gateway = gateway_for(platform)
        person, token = gateway.active_account(language="en")
        number = gateway.new_request(token, category="registrar")
        invoices = gateway.invoices(token, number)

        from mumaris_testing import wait_until

        wait_until(lambda: len(gateway.mails_about(person["email"], "Reminder:", number)) == 2, timeout=30)
        gateway.status_becomes(token, number, "cancelled", timeout=30)
        gateway.mail_about(person["email"], "cancelled: the fees were not paid in time", number)

        late = gateway.call(
            "POST",
            f"/api/billing/v1/invoices/{invoices['service']['id']}/payments",
            token=token,
            json={"method": "mada"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        gateway.expect_error(late, 409, "invoice_expired")
        assert {i["status"] for i in gateway.invoices(token, number).values()} == {"expired"}
