"""Billing and notifications scaled out: two of every billing process (web, consumer, relay,
scheduler) and two of every notifications process (consumer and mailer among them), each service on
PostgreSQL, and a thousand requests whose deadlines pass together. Each must be reminded once,
cancelled once, and e-mailed once about it, whichever replica did the work."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from mumaris_testing import EventWaiter, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REQUESTS = 1000


def test_a_thousand_deadlines_passing_together_cancel_each_request_exactly_once(
    start_another_platform, gateway_for, make_postgres_database
):
    databases = {
        f"{s.upper()}_DATABASE_URL": make_postgres_database()
        for s in ("accounts", "applications", "billing", "notifications")
    }
    with (
        start_another_platform(
            replicas={"billing": 2, "notifications": 2},
            BILLING_PAYMENT_DEADLINE="PT40S",
            BILLING_REMINDERS="PT5S",
            BILLING_SCHEDULER_INTERVAL="PT0.5S",
            **databases,
        ) as platform,
        EventWaiter(platform.child_env["RABBITMQ_URL"]) as events,
    ):
        assert {"billing-web-2", "billing-consumer-2", "billing-scheduler-2"} <= set(platform.processes)
        assert {"notifications-consumer-2", "notifications-mailer-2"} <= set(platform.processes)
        gateway = gateway_for(platform)
        person, token = gateway.active_account()

        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = list(pool.map(lambda _n: gateway.new_request(token, category="specialist"), range(REQUESTS)))
        assert len(set(numbers)) == REQUESTS

        events.wait_for("applications.application_cancelled", count=REQUESTS, timeout=240)

        def cancellation_mails():
            return gateway.mails_about(person["email"], "cancelled: the fees were not paid in time")

        wait_until(lambda: len(cancellation_mails()) >= REQUESTS, timeout=240, interval=1)

        # every scheduler and consumer has gone quiet: nothing more may arrive for these requests
        marker = gateway.new_request(token, category="specialist")
        events.wait_for("billing.fees_assessed", where=lambda e: e.data["application_number"] == marker)

        def per_request(event_type):
            return Counter(
                e.data["application_number"]
                for e in events.events
                if e.type == event_type and e.data["application_number"] in set(numbers)
            )

        for event_type in (
            "billing.payment_reminder_due",
            "billing.payment_deadline_expired",
            "applications.application_cancelled",
        ):
            counts = per_request(event_type)
            assert set(counts) == set(numbers) and set(counts.values()) == {1}, event_type

        mails = Counter(number for m in cancellation_mails() for number in numbers if number in m["subject"])
        assert set(mails.values()) == {1} and len(mails) == REQUESTS
        listed = gateway.call("GET", "/api/applications/v1/applications", token=token).json()
        assert Counter(a["status"] for a in listed if a["number"] in set(numbers)) == {"cancelled": REQUESTS}
