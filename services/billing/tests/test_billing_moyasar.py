"""Payments and refunds through the Moyasar adapter, against a fake Moyasar speaking its documented
shapes (fake_moyasar.py, fixtures/moyasar/): the payer sent to an invoice's hosted page, webhooks
proven by their secret token and confirmed with the API, refunds through its refund API — and the
network's faults: lost answers, timeouts, an unreachable provider, a crash between the provider's
act and billing's record. No double charge, no double refund, no payment lost."""

from datetime import timedelta

import pytest

from billing.settings import Settings
from mumaris_shared.events import isoformat
from services.billing.tests.fake_moyasar import fixture

pytestmark = pytest.mark.integration

OWNER = "acct-sara"
LEASE = Settings().provider_lease


def _open(billing, kind="service", method="mada", key=None):
    billing.submit("REQ-1", OWNER)
    invoice = billing.invoices("REQ-1", OWNER)[kind]
    return invoice, billing.start_payment(invoice["id"], OWNER, method, key=key)


def test_a_card_payment_sends_the_payer_to_a_moyasar_invoice_and_its_paid_notice_captures_it(billing_moyasar, moyasar):
    billing = billing_moyasar
    invoice, started = _open(billing, method="mada")
    assert started.status_code == 201, started.json
    payment = started.json
    [created] = moyasar.calls_to("POST /v1/invoices")
    assert created == {
        "amount": 90000,
        "currency": "SAR",
        "description": "Mumaris service fee, request REQ-1",
        "success_url": Settings().return_url,
        "back_url": Settings().return_url,
        "expired_at": invoice["due_at"],
        "metadata": {"mumaris_payment_id": payment["id"], "method": "mada"},
    }
    at_moyasar = moyasar.invoice_for(payment["id"])
    assert (payment["status"], payment["provider"], payment["provider_reference"]) == (
        "pending",
        "moyasar",
        at_moyasar["id"],
    )
    assert payment["redirect_url"] == at_moyasar["url"]

    charge = moyasar.pay(at_moyasar["id"], company="mada")
    [(notice, status)] = moyasar.webhooks
    assert status == 200 and notice["type"] == "payment_paid"
    assert billing.invoices("REQ-1", OWNER)["service"]["status"] == "paid"
    [received] = billing.events("billing.payment_received")
    assert (received["payment_id"], received["method"], received["amount_halalas"]) == (payment["id"], "mada", 90000)
    assert moyasar.calls_to(f"GET /v1/payments/{charge['id']}")  # the notice was confirmed with the API
    [row] = billing.rows("payments")
    assert (row.status, row.charge_reference) == ("captured", charge["id"])


def test_a_sadad_payment_goes_through_the_same_adapter_with_its_bill_number(billing_moyasar, moyasar):
    invoice, started = _open(billing_moyasar, kind="administrative", method="sadad")
    assert started.json["bill_number"] == invoice["sadad_bill_number"]
    assert started.json["redirect_url"] == moyasar.invoice_for(started.json["id"])["url"]
    [created] = moyasar.calls_to("POST /v1/invoices")
    assert created["metadata"]["sadad_bill_number"] == invoice["sadad_bill_number"]


@pytest.mark.parametrize("fault", ["lose_answer", "slow"], ids=["answer lost", "answer too late"])
def test_an_opening_whose_answer_is_lost_is_retried_and_opens_one_invoice(billing_moyasar, moyasar, fault):
    moyasar.fail("POST /v1/invoices", fault)  # Moyasar made the invoice; billing never heard
    _invoice, started = _open(billing_moyasar)
    assert started.status_code == 201, started.json
    assert (
        len(moyasar.invoices) == 1
        and started.json["provider_reference"] == moyasar.invoice_for(started.json["id"])["id"]
    )


def test_moyasar_unreachable_answers_503_and_the_same_key_then_finishes_the_same_payment(billing_moyasar, moyasar):
    billing = billing_moyasar
    moyasar.fail("POST /v1/invoices", "unavailable", times=3)
    _invoice, refused = _open(billing, key="attempt-1")
    billing.refused(refused, 503, "provider_unavailable")
    [pending] = billing.rows("payments")
    assert (pending.status, pending.provider_reference, pending.opening_at) == ("pending", None, None)

    again = billing.start_payment(pending.invoice_id, OWNER, "mada", key="attempt-1")
    assert again.status_code == 201 and again.json["id"] == pending.id
    assert len(billing.rows("payments")) == 1 and len(moyasar.invoices) == 1
    assert billing.start_payment(pending.invoice_id, OWNER, "mada", key="attempt-1").json == again.json


def test_an_opening_cut_short_after_moyasar_acted_is_reconciled_by_the_scheduler(billing_moyasar, moyasar):
    billing = billing_moyasar
    moyasar.fail("POST /v1/invoices", "lose_answer")
    moyasar.fail("GET /v1/invoices", "unavailable", times=2)
    _invoice, refused = _open(billing)
    billing.refused(refused, 503, "provider_unavailable")
    [pending] = billing.rows("payments")
    assert pending.provider_reference is None and len(moyasar.invoices) == 1

    billing.tick()
    assert billing.rows("payments")[0].provider_reference is None  # its lease has not run out
    billing.clock.advance(LEASE)
    billing.tick()
    [row] = billing.rows("payments")
    at_moyasar = moyasar.invoice_for(row.id)
    assert (row.status, row.provider_reference, row.redirect_url) == ("pending", at_moyasar["id"], at_moyasar["url"])
    moyasar.pay(at_moyasar["id"])  # a notice for it now finds it
    assert billing.rows("payments")[0].status == "captured"


def test_an_opening_that_never_reached_moyasar_is_failed_by_the_scheduler(billing_moyasar, moyasar):
    billing = billing_moyasar
    moyasar.fail("POST /v1/invoices", "unavailable", times=3)
    invoice, _refused = _open(billing)
    billing.clock.advance(LEASE)
    billing.tick()
    [row] = billing.rows("payments")
    assert (row.status, row.provider_reference) == ("failed", None) and moyasar.invoices == {}
    assert billing.start_payment(invoice["id"], OWNER).status_code == 201  # the payer simply starts again


def test_two_calls_with_one_key_at_once_open_one_payment_and_the_second_is_told_at_once(billing_moyasar, moyasar):
    billing = billing_moyasar
    invoice, _ = _open(billing, key="attempt-1")  # opened; now pretend it is still being opened
    with billing.runtime.db.transaction() as session:
        from billing.adapters import repository as repo

        [row] = billing.rows("payments")
        repo.update_payment(session, row.id, provider_reference=None, opening_at=billing.clock())
        repo.store_answer(session, OWNER, "attempt-1", None, None)
    second = billing.start_payment(invoice["id"], OWNER, "mada", key="attempt-1")
    billing.refused(second, 409, "payment_opening")
    assert len(moyasar.calls_to("POST /v1/invoices")) == 1


@pytest.mark.parametrize("token", [None, "guessed", 42], ids=["no token", "wrong token", "not a string"])
def test_a_notice_without_the_secret_token_is_refused_and_changes_nothing(billing_moyasar, moyasar, token):
    billing = billing_moyasar
    _invoice, started = _open(billing)
    invoice_id = moyasar.invoice_for(started.json["id"])["id"]
    notice = fixture("webhook_payment_paid")
    notice["data"] = {**fixture("payment"), "amount": 90000, "invoice_id": invoice_id}
    notice.pop("secret_token")
    if token is not None:
        notice["secret_token"] = token
    before = billing.snapshot()
    billing.refused(billing.client.post("/v1/webhooks/moyasar", json=notice), 401, "invalid_signature")
    assert billing.snapshot() == before
    assert moyasar.calls_to(r"GET /v1/payments/[\w-]+") == []  # a forged notice costs no call to Moyasar


def test_a_paid_notice_is_not_taken_at_its_word(billing_moyasar, moyasar):
    """The token alone does not move money: the payment named must be paid at Moyasar."""
    billing = billing_moyasar
    _invoice, started = _open(billing)
    invoice_id = moyasar.invoice_for(started.json["id"])["id"]
    declined = moyasar.pay(invoice_id, "failed")
    assert billing.rows("payments")[0].status == "failed"
    assert moyasar.notify("payment_paid", {**declined, "status": "paid"}) == 200  # acknowledged, ignored
    assert billing.rows("payments")[0].status == "failed" and billing.events("billing.payment_received") == []


def test_a_declined_card_then_a_paid_one_on_the_same_page_captures_the_payment(billing_moyasar, moyasar):
    billing = billing_moyasar
    _invoice, started = _open(billing)
    invoice_id = moyasar.invoice_for(started.json["id"])["id"]
    moyasar.pay(invoice_id, "failed")
    moyasar.pay(invoice_id, "paid")  # the payer tried again: money moved, never ignored
    assert billing.rows("payments")[0].status == "captured"
    assert billing.invoices("REQ-1", OWNER)["service"]["status"] == "paid"


def test_other_moyasar_events_are_acknowledged_and_change_nothing(billing_moyasar, moyasar):
    billing = billing_moyasar
    _invoice, started = _open(billing)
    charge = moyasar.pay(moyasar.invoice_for(started.json["id"])["id"])
    before = billing.snapshot()
    assert moyasar.notify("payment_voided", charge) == 200
    assert billing.snapshot() == before


def test_the_sandbox_s_routes_are_gone_with_moyasar(billing_moyasar):
    billing = billing_moyasar
    _invoice, started = _open(billing)
    billing.refused(billing.complete(started.json["id"], OWNER), 404, "not_found")
    webhook = billing.client.post("/v1/webhooks/sandbox", data=b"{}", content_type="application/json")
    billing.refused(webhook, 404, "not_found")


# --- refunds ----------------------------------------------------------------------------------------
def _withdrawn_after_paying(billing, moyasar) -> dict:
    """Both fees paid through Moyasar, then the request withdrawn: half the service fee is due."""
    billing.submit("REQ-1", OWNER)
    for invoice in billing.invoices("REQ-1", OWNER).values():
        started = billing.start_payment(invoice["id"], OWNER)
        moyasar.pay(moyasar.invoice_for(started.json["id"])["id"])
    billing.withdraw("REQ-1", OWNER)
    service = billing.invoices("REQ-1", OWNER)["service"]
    [row] = [p for p in billing.rows("payments") if p.invoice_id == service["id"]]
    return moyasar.payments[row.charge_reference]


def test_a_refund_is_paid_back_through_moyasar_s_refund_api_once(billing_moyasar, moyasar):
    billing = billing_moyasar
    charge = _withdrawn_after_paying(billing, moyasar)
    billing.tick()
    assert moyasar.calls_to(f"POST /v1/payments/{charge['id']}/refund") == [{"amount": 45000}]
    assert charge["refunded"] == 45000
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paid"
    [paid] = billing.events("billing.refund_paid")
    assert paid["amount_halalas"] == 45000
    billing.tick()
    assert len(moyasar.calls_to(f"POST /v1/payments/{charge['id']}/refund")) == 1


def test_a_refund_whose_answer_was_lost_is_not_made_twice(billing_moyasar, moyasar):
    billing = billing_moyasar
    charge = _withdrawn_after_paying(billing, moyasar)
    moyasar.fail(r"POST /v1/payments/[\w-]+/refund", "lose_answer")  # refunded at Moyasar; billing never heard
    billing.tick()
    assert charge["refunded"] == 45000 and billing.refunds("REQ-1", OWNER)["service"]["status"] == "paid"
    assert len(moyasar.calls_to(f"POST /v1/payments/{charge['id']}/refund")) == 1


def test_a_refund_cut_short_after_moyasar_acted_is_finished_after_the_lease_without_refunding_twice(
    billing_moyasar, moyasar
):
    billing = billing_moyasar
    charge = _withdrawn_after_paying(billing, moyasar)
    moyasar.fail(r"POST /v1/payments/[\w-]+/refund", "lose_answer")
    moyasar.fail(r"GET /v1/payments/[\w-]+", "unavailable", times=2)
    billing.tick()
    refund = billing.refunds("REQ-1", OWNER)["service"]
    assert refund["status"] == "paying" and charge["refunded"] == 45000  # done there, not known here
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paying"  # left to its lease
    billing.clock.advance(LEASE)
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "paid" and charge["refunded"] == 45000
    assert len(moyasar.calls_to(f"POST /v1/payments/{charge['id']}/refund")) == 1
    assert len(billing.events("billing.refund_paid")) == 1


def test_a_refund_moyasar_refuses_is_left_for_operations(billing_moyasar, moyasar):
    billing = billing_moyasar
    charge = _withdrawn_after_paying(billing, moyasar)
    charge["status"] = "voided"  # voided in Moyasar's dashboard meanwhile: it refuses the refund
    billing.tick()
    assert billing.refunds("REQ-1", OWNER)["service"]["status"] == "payout_failed"
    assert billing.events("billing.refund_paid") == []


def test_the_invoice_expires_with_the_fee(billing_moyasar, moyasar):
    invoice, _started = _open(billing_moyasar)
    [created] = moyasar.calls_to("POST /v1/invoices")
    assert created["expired_at"] == invoice["due_at"] == isoformat(billing_moyasar.clock() + timedelta(days=30))
