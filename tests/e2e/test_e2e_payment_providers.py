"""Payment providers on the running platform, through the gateway: many completions of one payment at
once answer at once and stall no worker; with BILLING_PAYMENT_PROVIDER=moyasar, a request's fees
paid on Moyasar's hosted pages (a fake Moyasar, speaking its documented shapes) and its refund
paid back through Moyasar's refund API."""

import json
import threading

import pytest
import requests

from mumaris_testing import wait_until
from services.billing.tests.fake_moyasar import FakeMoyasar, fixture

pytestmark = pytest.mark.e2e

SAR = 100  # halalas
MOYASAR_KEY, MOYASAR_TOKEN = "sk_test_e2e_key", "an e2e webhook secret token"


def test_many_completions_of_one_payment_at_once_stall_no_worker(gateway):
    """More completions at once than billing's web process has threads (8): before, each held a
    thread while the sandbox called billing's own webhook, which then found no thread free, and
    all waited for the sandbox's timeout. Now each answers at once: one is taken, the others told
    409, and billing goes on answering everyone else meanwhile."""
    _person, token = gateway.active_account()
    number = gateway.new_request(token)
    payment = gateway.start_payment(token, gateway.invoices(token, number)["service"]["id"], "mada")
    url = f"{gateway.base}/api/billing/v1/sandbox/payments/{payment['id']}/complete"
    start, answers, errors = threading.Barrier(16), [], []

    def complete():
        start.wait()
        try:
            response = requests.post(
                url, json={"outcome": "captured"}, headers={"Authorization": f"Bearer {token}"}, timeout=5
            )
            answers.append(response.status_code)
        except requests.RequestException as exc:  # a stalled worker: no answer in time
            errors.append(repr(exc))

    threads = [threading.Thread(target=complete) for _ in range(16)]
    for thread in threads:
        thread.start()
    alive = gateway.call("GET", f"/api/billing/v1/invoices?application={number}", token=token)
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(answers) == [202] + [409] * 15
    assert alive.status_code == 200
    assert gateway.payment_becomes(token, payment["id"], "captured")["status"] == "captured"
    assert [i["status"] for i in gateway.invoices(token, number).values()].count("paid") == 1


@pytest.fixture(scope="module")
def moyasar_platform(start_another_platform, gateway_for):
    """The platform with billing on Moyasar, the fake's webhook set up to post through the gateway."""
    with (
        FakeMoyasar(MOYASAR_KEY, MOYASAR_TOKEN) as fake,
        start_another_platform(
            BILLING_PAYMENT_PROVIDER="moyasar",
            BILLING_MOYASAR_API_URL=fake.api_url,
            BILLING_MOYASAR_SECRET_KEY=MOYASAR_KEY,
            BILLING_MOYASAR_WEBHOOK_SECRET=MOYASAR_TOKEN,
            BILLING_PROVIDER_TIMEOUT="PT2S",
        ) as platform,
    ):
        gateway = gateway_for(platform)
        fake.webhook_url = f"{gateway.base}/api/billing/v1/webhooks/moyasar"
        yield gateway, fake


def _pay_on_moyasar(gateway, fake, token, invoice_id, method):
    """The payer sent to Moyasar's hosted page, paying there; the payment once its notice came."""
    payment = gateway.start_payment(token, invoice_id, method)
    assert payment["provider"] == "moyasar" and payment["redirect_url"].startswith(fake.url)
    invoice_at_moyasar = payment["redirect_url"].rsplit("/", 1)[-1].split("?")[0]
    assert payment["provider_reference"] == invoice_at_moyasar
    fake.pay(invoice_at_moyasar, company="mada" if method == "mada" else "visa")
    return gateway.payment_becomes(token, payment["id"], "captured")


def test_fees_paid_on_moyasar_s_pages_and_the_refund_paid_back_through_its_api(moyasar_platform):
    gateway, fake = moyasar_platform
    person, token = gateway.active_account()
    number = gateway.new_request(token, category="specialist")
    invoices = gateway.invoices(token, number)
    sadad = _pay_on_moyasar(gateway, fake, token, invoices["administrative"]["id"], "sadad")
    assert sadad["bill_number"] == invoices["administrative"]["sadad_bill_number"]
    _pay_on_moyasar(gateway, fake, token, invoices["service"]["id"], "mada")
    gateway.status_becomes(token, number, "under_review")
    assert {i["status"] for i in gateway.invoices(token, number).values()} == {"paid"}

    withdrawn = gateway.call("POST", f"/api/applications/v1/applications/{number}/withdraw", token=token)
    assert withdrawn.status_code == 200, withdrawn.text

    def refund_paid():
        refunds = gateway.call("GET", f"/api/billing/v1/refunds?application={number}", token=token).json()
        return [r for r in refunds if r["invoice"] == invoices["service"]["id"] and r["status"] == "paid"]

    wait_until(lambda: refund_paid(), timeout=60, interval=0.3)
    [refund] = refund_paid()
    assert refund["amount_halalas"] == 450 * SAR
    [refunded] = [p for p in fake.payments.values() if p["refunded"]]
    assert refunded["refunded"] == 450 * SAR and refunded["amount"] == 900 * SAR
    gateway.mail_about(person["email"], number, "450.00")


def test_a_forged_moyasar_notice_through_the_gateway_is_refused(moyasar_platform):
    gateway, fake = moyasar_platform
    _person, token = gateway.active_account()
    number = gateway.new_request(token)
    payment = gateway.start_payment(token, gateway.invoices(token, number)["service"]["id"], "credit_card")
    notice = fixture("webhook_payment_paid")
    notice.update(
        secret_token="guessed",
        data={**fixture("payment"), "amount": payment["amount_halalas"], "invoice_id": payment["provider_reference"]},
    )
    forged = gateway.call("POST", "/api/billing/v1/webhooks/moyasar", data=json.dumps(notice))
    gateway.expect_error(forged, 401, "invalid_signature")
    sandbox = gateway.call(
        "POST", f"/api/billing/v1/sandbox/payments/{payment['id']}/complete", token=token, json={"outcome": "captured"}
    )
    gateway.expect_error(sandbox, 404, "not_found")
    assert gateway.call("GET", f"/api/billing/v1/payments/{payment['id']}", token=token).json()["status"] == "pending"
