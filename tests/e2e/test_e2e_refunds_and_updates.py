"""Refunds, one story per rule, and the membership data update — through the gateway."""

import time
import uuid

import pytest

from mumaris_testing import wait_until

pytestmark = pytest.mark.e2e

SAR = 100  # halalas


def _paid_request(gateway, token, category="specialist"):
    number = gateway.new_request(token, category=category)
    invoices = gateway.invoices(token, number)
    for invoice in invoices.values():
        gateway.pay(token, invoice["id"], "credit_card")
    gateway.status_becomes(token, number, "under_review")
    return number, invoices


def _refunds(gateway, token, number):
    response = gateway.call("GET", f"/api/billing/v1/refunds?application={number}", token=token)
    assert response.status_code == 200, response.text
    return response.json()


def _refund_paid(gateway, token, number, invoice_id):
    def paid():
        return [r for r in _refunds(gateway, token, number) if r["invoice"] == invoice_id and r["status"] == "paid"]

    wait_until(lambda: paid(), timeout=60, interval=0.3)
    return paid()


def _withdraw(gateway, token, number):
    response = gateway.call("POST", f"/api/applications/v1/applications/{number}/withdraw", token=token)
    assert response.status_code == 200 and response.json()["status"] == "withdrawn", response.text


def test_withdrawing_within_the_window_gives_back_half_the_service_fee_once(gateway):
    person, token = gateway.active_account(language="en")
    number, invoices = _paid_request(gateway, token, category="specialist")
    _withdraw(gateway, token, number)

    [refund] = _refund_paid(gateway, token, number, invoices["service"]["id"])
    assert (refund["amount_halalas"], refund["rule"]) == (450 * SAR, "withdrawn_within_window")
    gateway.mail_about(person["email"], number, "450.00")
    # the administrative fee never comes back, and nothing is paid twice
    assert all(
        r["rule"] == "administrative_fee_not_refundable" and r["status"] == "rejected"
        for r in _refunds(gateway, token, number)
        if r["invoice"] == invoices["administrative"]["id"]
    )
    again = gateway.call(
        "POST",
        "/api/billing/v1/refunds",
        token=token,
        json={"invoice": invoices["service"]["id"], "reason": "asking again"},
    )
    assert again.status_code in (200, 201) and again.json()["id"] == refund["id"]
    assert len([r for r in _refunds(gateway, token, number) if r["invoice"] == invoices["service"]["id"]]) == 1

    # the bank's refund notice, forged, sent late, and replayed: the refund stays paid once
    notice = _refund_notice(refund["id"])
    gateway.expect_error(
        gateway.call(
            "POST",
            "/api/billing/v1/webhooks/sandbox",
            data=notice["body"],
            headers={"Sandbox-Signature": notice["forged"]},
        ),
        401,
        "invalid_signature",
    )
    first = gateway.call(
        "POST",
        "/api/billing/v1/webhooks/sandbox",
        data=notice["body"],
        headers={"Sandbox-Signature": notice["signature"]},
    )
    assert first.status_code == 200, first.text
    gateway.expect_error(
        gateway.call(
            "POST",
            "/api/billing/v1/webhooks/sandbox",
            data=notice["body"],
            headers={"Sandbox-Signature": notice["signature"]},
        ),
        409,
        "webhook_replayed",
    )
    paid_mail = f"Refund of SAR 450.00 paid for request {number}"
    gateway.mail_about(person["email"], paid_mail)
    later = gateway.new_request(token)  # once a later e-mail has gone out...
    gateway.mail_about(person["email"], f"Request {later} sent")
    assert len(gateway.mails_about(person["email"], paid_mail)) == 1  # ...the refund was still paid once
    assert [r["status"] for r in _refunds(gateway, token, number) if r["id"] == refund["id"]] == ["paid"]


def _refund_notice(refund_id):
    """What the sandbox bank sends when it has paid a refund back, signed with the sandbox's
    development secret (the platform under test runs with it), and a copy signed with another."""
    import json

    from billing.domain.payments import REFUND_NOTICE, sign
    from billing.settings import DEV_SANDBOX_WEBHOOK_SECRET
    from mumaris_shared.events import isoformat, utcnow

    body = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": REFUND_NOTICE,
            "refund_id": refund_id,
            "outcome": "refunded",
            "occurred_at": isoformat(utcnow()),
        }
    ).encode()
    now = int(utcnow().timestamp())
    return {
        "body": body,
        "signature": sign(DEV_SANDBOX_WEBHOOK_SECRET, now, body),
        "forged": sign("not the secret", now, body),
    }


def test_a_rejected_request_gets_no_refund_and_the_answer_names_the_rule(gateway):
    _person, token = gateway.active_account()
    _email, reviewer = gateway.staff("reviewer")
    number, invoices = _paid_request(gateway, token)
    gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=reviewer)
    rejected = gateway.call(
        "POST",
        f"/api/applications/v1/applications/{number}/decision",
        token=reviewer,
        json={"decision": "reject", "reason": "the qualification could not be verified"},
    )
    assert rejected.status_code == 200, rejected.text
    gateway.status_becomes(token, number, "rejected")

    def claim():
        return gateway.call(
            "POST",
            "/api/billing/v1/refunds",
            token=token,
            json={"invoice": invoices["service"]["id"], "reason": "I was rejected"},
        ).json()

    # billing learns of the decision by event: the claim is refused by that rule once it has
    wait_until(lambda: claim()["rule"] == "request_decided", timeout=30, interval=0.3)
    answer = claim()
    assert answer["status"] == "rejected" and answer["amount_halalas"] == 0


def test_the_administrative_fee_is_never_refunded(gateway):
    _person, token = gateway.active_account()
    number, invoices = _paid_request(gateway, token)
    answer = gateway.call(
        "POST",
        "/api/billing/v1/refunds",
        token=token,
        json={"invoice": invoices["administrative"]["id"], "reason": "please"},
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["rule"]) == ("rejected", "administrative_fee_not_refundable")


def test_a_duplicate_payment_is_refunded_in_full(gateway):
    _person, token = gateway.active_account()
    number = gateway.new_request(token, category="technician")
    invoices = gateway.invoices(token, number)
    admin = invoices["administrative"]["id"]
    payments = [
        gateway.call(
            "POST",
            f"/api/billing/v1/invoices/{admin}/payments",
            token=token,
            json={"method": method},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ).json()
        for method in ("mada", "apple_pay")
    ]
    for payment in payments:  # the payer's bank captures both
        done = gateway.call(
            "POST",
            f"/api/billing/v1/sandbox/payments/{payment['id']}/complete",
            token=token,
            json={"outcome": "captured"},
        )
        assert done.status_code in (200, 202), done.text
    [refund] = _refund_paid(gateway, token, number, admin)
    assert (refund["amount_halalas"], refund["rule"]) == (200 * SAR, "duplicate_payment")


def test_refund_and_payment_bad_input(gateway):
    _person, token = gateway.active_account()
    _other, other_token = gateway.active_account()
    number = gateway.new_request(token)
    invoices = gateway.invoices(token, number)
    unpaid = gateway.call(
        "POST",
        "/api/billing/v1/refunds",
        token=token,
        json={"invoice": invoices["service"]["id"], "reason": "not paid yet"},
    )
    gateway.expect_error(unpaid, 409, "invoice_not_paid")
    gateway.pay(token, invoices["service"]["id"], "mada")
    foreign = gateway.call(
        "POST",
        "/api/billing/v1/refunds",
        token=other_token,
        json={"invoice": invoices["service"]["id"], "reason": "not mine"},
    )
    gateway.expect_error(foreign, 403, "forbidden")
    assert _refunds(gateway, token, number) == []


def test_withdrawing_after_the_window_gives_nothing_back(start_another_platform, gateway_for):
    with start_another_platform(BILLING_REFUND_WINDOW="PT1S") as platform:
        gateway = gateway_for(platform)
        person, token = gateway.active_account()
        number, invoices = _paid_request(gateway, token)
        time.sleep(1.5)  # the window is a span of time, not an event: let it pass
        _withdraw(gateway, token, number)
        wait_until(
            lambda: any(r["invoice"] == invoices["service"]["id"] for r in _refunds(gateway, token, number)),
            timeout=30,
            interval=0.3,
        )
        [refund] = [r for r in _refunds(gateway, token, number) if r["invoice"] == invoices["service"]["id"]]
        assert (refund["status"], refund["rule"], refund["amount_halalas"]) == ("rejected", "refund_window_passed", 0)


@pytest.mark.slow
def test_two_billing_replicas_evaluating_one_withdrawal_pay_out_once(
    start_another_platform, gateway_for, make_postgres_database
):
    import pika

    from mumaris_shared.broker import connection_parameters, persistent
    from mumaris_shared.events import EXCHANGE
    from mumaris_testing import EventWaiter

    with (
        start_another_platform(replicas={"billing": 2}, BILLING_DATABASE_URL=make_postgres_database()) as platform,
        EventWaiter(platform.child_env["RABBITMQ_URL"]) as events,
    ):
        gateway = gateway_for(platform)
        _person, token = gateway.active_account()
        number, invoices = _paid_request(gateway, token)
        _withdraw(gateway, token, number)
        [withdrawn] = events.wait_for(
            "applications.application_withdrawn", where=lambda e: e.data["application_number"] == number
        )
        connection = pika.BlockingConnection(connection_parameters(platform.child_env["RABBITMQ_URL"]))
        channel = connection.channel()
        for _copy in range(3):  # delivered again and again, to whichever replica takes it
            channel.basic_publish(
                EXCHANGE,
                withdrawn.type,
                withdrawn.to_json().encode(),
                properties=persistent(withdrawn.id, withdrawn.type),
            )
        connection.close()
        _refund_paid(gateway, token, number, invoices["service"]["id"])
        marker = gateway.new_request(token)  # later work has gone through every replica
        gateway.invoices(token, marker)
        paid = [e for e in events.events if e.type == "billing.refund_paid" and e.data["application_number"] == number]
        assert len(paid) == 1 and paid[0].data["amount_halalas"] == 450 * SAR


def test_a_data_update_is_reviewed_approved_and_the_old_data_kept(gateway):
    person, token = gateway.active_account(language="ar")
    _email, reviewer = gateway.staff("reviewer")
    _other, other_token = gateway.active_account()
    number, _invoices = _paid_request(gateway, token)
    gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=reviewer)
    gateway.verify(reviewer, number)
    gateway.call(
        "POST",
        f"/api/applications/v1/applications/{number}/decision",
        token=reviewer,
        json={"decision": "approve", "reason": "ok"},
    )
    membership = gateway.status_becomes(token, number, "approved")["membership_number"]
    updates = f"/api/applications/v1/memberships/{membership}/updates"

    gateway.expect_error(
        gateway.call("POST", updates, token=token, json={"changes": {"blood_type": "O+"}}), 422, "validation_failed"
    )
    gateway.expect_error(
        gateway.call("POST", updates, token=token, json={"changes": {"mobile": "12"}}), 422, "validation_failed"
    )
    gateway.expect_error(
        gateway.call("POST", updates, token=other_token, json={"changes": {"specialty": "X"}}), 404, "not_found"
    )

    submitted = gateway.call("POST", updates, token=token, json={"changes": {"specialty": "Interventional Cardiology"}})
    assert submitted.status_code == 201 and submitted.json()["status"] == "under_review", submitted.text
    update_id = submitted.json()["id"]
    second = gateway.call("POST", updates, token=token, json={"changes": {"specialty": "Something else"}})
    gateway.expect_error(second, 409, "update_already_open")
    gateway.mail_about(person["email"], membership)

    assert gateway.call("POST", f"/api/applications/v1/updates/{update_id}/review", token=reviewer).status_code == 200
    approved = gateway.call(
        "POST",
        f"/api/applications/v1/updates/{update_id}/decision",
        token=reviewer,
        json={"decision": "approve", "reason": "board certificate seen"},
    )
    assert approved.status_code == 200, approved.text
    current = gateway.call("GET", f"/api/applications/v1/memberships/{membership}", token=token).json()
    assert current["specialty"] == "Interventional Cardiology"
    assert current["history"][0]["data"]["specialty"] == "Cardiology"
    timeline = gateway.call("GET", f"/api/applications/v1/applications/{number}", token=token).json()["timeline"]
    assert {"update_submitted", "update_approved"} <= {step["status"] for step in timeline}

    rejected_update = gateway.call("POST", updates, token=token, json={"changes": {"specialty": "Dermatology"}}).json()
    gateway.call("POST", f"/api/applications/v1/updates/{rejected_update['id']}/review", token=reviewer)
    gateway.expect_error(
        gateway.call(
            "POST",
            f"/api/applications/v1/updates/{rejected_update['id']}/decision",
            token=reviewer,
            json={"decision": "reject", "reason": ""},
        ),
        422,
        "validation_failed",
    )
    gateway.call(
        "POST",
        f"/api/applications/v1/updates/{rejected_update['id']}/decision",
        token=reviewer,
        json={"decision": "reject", "reason": "no evidence of the new specialty"},
    )
    after = gateway.call("GET", f"/api/applications/v1/memberships/{membership}", token=token).json()
    assert after["specialty"] == "Interventional Cardiology"
    [shown] = [u for u in after["updates"] if u["id"] == rejected_update["id"]]
    assert shown["status"] == "rejected" and shown["reason"] == "no evidence of the new specialty"
