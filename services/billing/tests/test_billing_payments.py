"""Invoices on submission, payments through the sandbox and its signed webhook."""

import json
import threading
from datetime import timedelta

import pytest

from billing.domain.payments import sign
from mumaris_shared.events import isoformat

pytestmark = pytest.mark.integration

OWNER, STRANGER = "acct-sara", "acct-omar"


def test_a_submitted_request_gets_two_invoices_from_the_schedule(billing):
    event = billing.submit("REQ-1", OWNER, category="registrar")
    invoices = billing.invoices("REQ-1", OWNER)
    due_at = isoformat(billing.clock() + timedelta(days=30))
    assert {kind: (i["amount_halalas"], i["status"], i["due_at"]) for kind, i in invoices.items()} == {
        "administrative": (20000, "unpaid", due_at),
        "service": (130000, "unpaid", due_at),
    }
    bills = [i["sadad_bill_number"] for i in invoices.values()]
    assert len(set(bills)) == 2 and all(len(b) == 12 and b.isdigit() for b in bills)

    issued = billing.events("billing.invoice_issued")
    assert [e["invoice"]["kind"] for e in issued] == ["administrative", "service"]
    [assessed] = billing.events("billing.fees_assessed")
    assert assessed["due_at"] == due_at and assessed["account_id"] == OWNER
    assert {i["sadad_bill_number"] for i in assessed["invoices"]} == set(bills)
    [account] = billing.rows("fee_accounts")
    assert (account.status, account.category, account.reminders_sent) == ("open", "registrar", [])

    before = billing.snapshot()
    assert billing.consumer.handle(event) is False  # the same event again: the inbox drops it
    assert billing.snapshot() == before
    billing.submit("REQ-1", OWNER, category="registrar")  # another submission event: still assessed once
    assert {k: v for k, v in billing.snapshot().items() if k != "inbox"} == {
        k: v for k, v in before.items() if k != "inbox"
    }


def test_staff_see_any_request_s_invoices_others_see_none(billing):
    billing.submit("REQ-1", OWNER)
    assert len(billing.client.get("/v1/invoices?application=REQ-1", headers=billing.reviewer()).json) == 2
    stranger = billing.client.get("/v1/invoices?application=REQ-1", headers=billing.bearer(STRANGER, "applicant"))
    unknown = billing.client.get("/v1/invoices?application=REQ-404", headers=billing.bearer(OWNER, "applicant"))
    assert billing.refused(stranger, 404, "not_found") == billing.refused(unknown, 404, "not_found")
    billing.refused(billing.client.get("/v1/invoices?application=REQ-1"), 401, "unauthenticated")
    billing.refused(billing.client.get("/v1/invoices", headers=billing.reviewer()), 422, "validation_failed")


@pytest.mark.postgres
def test_paying_one_fee_by_sadad_and_one_by_card_settles_the_request_once(billing):
    billing.submit("REQ-1", OWNER)
    invoices = billing.invoices("REQ-1", OWNER)

    sadad = billing.start_payment(invoices["administrative"]["id"], OWNER, "sadad")
    assert sadad.status_code == 201
    assert sadad.json["status"] == "pending" and sadad.json["method"] == "sadad"
    assert sadad.json["bill_number"] == invoices["administrative"]["sadad_bill_number"]
    assert sadad.json["amount_halalas"] == 20000 and sadad.json["invoice"] == invoices["administrative"]["id"]
    completed = billing.complete(sadad.json["id"], OWNER)
    assert completed.json["webhook"]["status"] == 200 and completed.json["webhook"]["answer"]["effect"] == "captured"
    assert billing.events("billing.fees_settled") == []

    card = billing.start_payment(invoices["service"]["id"], OWNER, "credit_card")
    assert "bill_number" not in card.json
    billing.complete(card.json["id"], OWNER)

    after = billing.invoices("REQ-1", OWNER)
    assert {i["status"] for i in after.values()} == {"paid"} and all(i["paid_at"] for i in after.values())
    received = billing.events("billing.payment_received")
    assert [(r["kind"], r["method"], r["amount_halalas"]) for r in received] == [
        ("administrative", "sadad", 20000),
        ("service", "credit_card", 90000),
    ]
    [settled] = billing.events("billing.fees_settled")
    assert settled["application_number"] == "REQ-1" and settled["account_id"] == OWNER
    assert billing.rows("fee_accounts")[0].status == "settled"
    payment = billing.client.get(f"/v1/payments/{card.json['id']}", headers=billing.bearer(OWNER, "applicant"))
    assert payment.json["status"] == "captured"


def test_a_failed_payment_leaves_the_invoice_unpaid(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    started = billing.start_payment(invoice["id"], OWNER, "apple_pay")
    assert billing.complete(started.json["id"], OWNER, "failed").json["webhook"]["answer"]["effect"] == "failed"
    assert billing.invoices("REQ-1", OWNER)["service"]["status"] == "unpaid"
    assert billing.events("billing.payment_received") == []
    billing.refused(billing.complete(started.json["id"], OWNER), 409, "payment_not_pending")


def test_a_second_capture_of_a_paid_invoice_is_an_over_payment_refunded_in_full(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    first = billing.start_payment(invoice["id"], OWNER, "mada")
    second = billing.start_payment(invoice["id"], OWNER, "sadad")  # both opened while unpaid
    billing.complete(first.json["id"], OWNER)
    answer = billing.complete(second.json["id"], OWNER).json["webhook"]["answer"]
    assert answer["effect"] == "over_payment"

    assert len(billing.events("billing.payment_received")) == 1
    [refund] = billing.rows("refunds")
    assert (refund.rule, refund.amount_halalas, refund.status, refund.payment_id) == (
        "duplicate_payment",
        90000,
        "approved",
        second.json["id"],
    )
    [decided] = billing.events("billing.refund_decided")
    assert (decided["rule"], decided["amount_halalas"], decided["invoice_id"]) == (
        "duplicate_payment",
        90000,
        invoice["id"],
    )
    assert {p.id: p.status for p in billing.rows("payments")} == {
        first.json["id"]: "captured",
        second.json["id"]: "captured",
    }


@pytest.mark.postgres
def test_the_same_idempotency_key_gives_the_same_payment_once(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["administrative"]
    first = billing.start_payment(invoice["id"], OWNER, "sadad", key="attempt-1")
    again = billing.start_payment(invoice["id"], OWNER, "sadad", key="attempt-1")
    assert (again.status_code, again.json) == (201, first.json)
    assert len(billing.rows("payments")) == 1

    before = billing.snapshot()
    billing.refused(billing.start_payment(invoice["id"], OWNER, "mada", key="attempt-1"), 422, "idempotency_key_reused")
    missing = billing.client.post(
        f"/v1/invoices/{invoice['id']}/payments", json={"method": "mada"}, headers=billing.bearer(OWNER, "applicant")
    )
    billing.refused(missing, 400, "idempotency_key_required")
    assert billing.snapshot() == before

    billing.submit("REQ-2", STRANGER)
    other = billing.invoices("REQ-2", STRANGER)["administrative"]
    theirs = billing.start_payment(other["id"], STRANGER, "sadad", key="attempt-1")  # keys are per caller
    assert theirs.status_code == 201 and theirs.json["id"] != first.json["id"]


@pytest.mark.parametrize(
    "body",
    [{}, {"method": "cash"}, {"method": "mada", "amount_halalas": 1}],
    ids=["no method", "unknown method", "extra field"],
)
def test_an_invalid_payment_request_is_refused_and_changes_nothing(billing, body):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    before = billing.snapshot()
    response = billing.client.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json=body,
        headers={**billing.bearer(OWNER, "applicant"), "Idempotency-Key": "k"},
    )
    billing.refused(response, 422, "validation_failed")
    assert billing.snapshot() == before


def test_paying_someone_else_s_or_an_unknown_invoice_is_refused_and_changes_nothing(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    before = billing.snapshot()
    billing.refused(billing.start_payment(invoice["id"], STRANGER), 403, "forbidden")
    billing.refused(billing.start_payment("no-such-invoice", OWNER), 404, "not_found")
    assert billing.snapshot() == before


def test_paying_a_settled_invoice_is_refused_and_changes_nothing(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    billing.pay(invoice["id"], OWNER)
    before = billing.snapshot()
    error = billing.refused(billing.start_payment(invoice["id"], OWNER), 409, "invoice_settled")
    assert error["details"] == {"status": "paid"}
    assert billing.snapshot() == before


def test_paying_an_expired_invoice_is_refused_and_changes_nothing(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    billing.clock.advance(timedelta(days=30))
    billing.tick()
    before = billing.snapshot()
    billing.refused(billing.start_payment(invoice["id"], OWNER), 409, "invoice_expired")
    assert billing.snapshot() == before


def test_a_capture_after_the_deadline_expired_is_refunded_in_full(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    started = billing.start_payment(invoice["id"], OWNER, "sadad")
    billing.clock.advance(timedelta(days=30))
    assert billing.tick() == 1
    assert billing.complete(started.json["id"], OWNER).json["webhook"]["answer"]["effect"] == "over_payment"
    assert billing.invoices("REQ-1", OWNER)["service"]["status"] == "expired"
    assert billing.events("billing.payment_received") == [] and billing.events("billing.fees_settled") == []
    [refund] = billing.events("billing.refund_decided")
    assert (refund["rule"], refund["amount_halalas"], refund["status"]) == (
        "payment_after_cancellation",
        90000,
        "approved",
    )


# --- the webhook refuses what a gateway did not send, or sent before ---------------------------------
def _webhook(billing, payment_id: str, *, event_id="evt_1", secret=None, at=None, header=...):
    at = at or billing.clock()
    body = json.dumps(
        {"id": event_id, "payment_id": payment_id, "outcome": "captured", "occurred_at": isoformat(at)}
    ).encode()
    signature = sign(secret or billing.service.settings.sandbox_webhook_secret, int(at.timestamp()), body)
    headers = {} if header is None else {"Sandbox-Signature": signature if header is ... else header}
    return billing.client.post("/v1/webhooks/sandbox", data=body, headers=headers, content_type="application/json")


@pytest.fixture
def pending(billing):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)["service"]
    return billing.start_payment(invoice["id"], OWNER, "mada").json["id"]


def test_a_signed_fresh_webhook_captures_the_payment(billing, pending):
    response = _webhook(billing, pending)
    assert response.status_code == 200 and response.json["effect"] == "captured"


@pytest.mark.parametrize("kind", ["missing", "forged", "malformed"])
def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(billing, pending, kind):
    before = billing.snapshot()
    response = {
        "missing": lambda: _webhook(billing, pending, header=None),
        "forged": lambda: _webhook(billing, pending, secret="guessed"),
        "malformed": lambda: _webhook(billing, pending, header="v1=abc"),
    }[kind]()
    billing.refused(response, 401, "invalid_signature")
    assert billing.snapshot() == before


@pytest.mark.parametrize("age", [timedelta(minutes=6), -timedelta(minutes=6)], ids=["old", "future"])
def test_a_stale_webhook_is_refused_and_changes_nothing(billing, pending, age):
    before = billing.snapshot()
    billing.refused(_webhook(billing, pending, at=billing.clock() - age), 401, "stale_webhook")
    assert billing.snapshot() == before


@pytest.mark.postgres
def test_a_replayed_webhook_is_refused_and_has_no_effect(billing, pending):
    assert _webhook(billing, pending).status_code == 200
    before = billing.snapshot()
    billing.refused(_webhook(billing, pending), 409, "webhook_replayed")
    assert billing.snapshot() == before


def test_a_webhook_for_an_unknown_payment_changes_nothing(billing, pending):
    before = billing.snapshot()
    billing.refused(_webhook(billing, "no-such-payment"), 404, "not_found")
    assert billing.snapshot() == before


def test_only_the_payer_completes_a_sandbox_payment(billing, pending):
    before = billing.snapshot()
    billing.refused(billing.complete(pending, STRANGER), 403, "forbidden")
    billing.refused(billing.complete("no-such-payment", OWNER), 404, "not_found")
    assert billing.snapshot() == before


def test_two_concurrent_captures_of_one_invoice_pay_it_once_on_postgresql(billing_at, make_postgres_database):
    billing = billing_at(make_postgres_database())
    billing.submit("REQ-1", OWNER)
    invoices = billing.invoices("REQ-1", OWNER)
    payments = [
        billing.start_payment(invoice["id"], OWNER).json["id"]
        for invoice in (invoices["service"], invoices["service"], invoices["administrative"])
    ]
    start, answers = threading.Barrier(len(payments)), []

    def capture(payment_id):
        start.wait()
        answers.append(billing.complete(payment_id, OWNER).json["webhook"]["answer"]["effect"])

    threads = [threading.Thread(target=capture, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == ["captured", "captured", "over_payment"]
    assert [r["kind"] for r in billing.events("billing.payment_received")].count("service") == 1
    assert len(billing.events("billing.fees_settled")) == 1
    assert [r.rule for r in billing.rows("refunds")] == ["duplicate_payment"]
