"""The scheduler: reminders before the deadline, expiry at it, exactly once however many run."""

import threading
from collections import Counter
from datetime import timedelta

import pytest

from billing.bootstrap import runtime as make_runtime
from billing.scheduler import Scheduler
from billing.service import BillingService
from billing.settings import Settings
from mumaris_shared.events import utcnow
from mumaris_testing import wait_until

pytestmark = pytest.mark.integration

OWNER = "acct-sara"
DAY = timedelta(days=1)


@pytest.mark.postgres
def test_reminders_seven_days_and_one_day_before_then_expiry_each_once(billing):
    billing.submit("REQ-1", OWNER)
    admin = billing.invoices("REQ-1", OWNER)["administrative"]
    billing.pay(admin["id"], OWNER)

    billing.clock.advance(22 * DAY)
    assert billing.tick() == 0
    billing.clock.advance(DAY)  # seven days left
    assert billing.tick() == 1 and billing.tick() == 0
    [seven] = billing.events("billing.payment_reminder_due")
    assert seven["before_deadline"] == "P7D"
    assert [i["kind"] for i in seven["invoices"]] == ["service"]  # only what is still unpaid

    billing.clock.advance(6 * DAY)  # one day left
    billing.tick()
    billing.tick()
    assert [r["before_deadline"] for r in billing.events("billing.payment_reminder_due")] == ["P7D", "P1D"]
    assert billing.events("billing.payment_deadline_expired") == []

    billing.clock.advance(DAY)  # the deadline
    assert billing.tick() == 1 and billing.tick() == 0
    [expired] = billing.events("billing.payment_deadline_expired")
    assert expired["application_number"] == "REQ-1" and expired["due_at"] == admin["due_at"]
    invoices = billing.invoices("REQ-1", OWNER)
    assert (invoices["administrative"]["status"], invoices["service"]["status"]) == ("paid", "expired")
    assert billing.rows("fee_accounts")[0].status == "expired"
    billing.clock.advance(DAY)
    assert billing.tick() == 0


def test_a_settled_request_is_neither_reminded_nor_expired(billing):
    billing.submit("REQ-1", OWNER)
    for invoice in billing.invoices("REQ-1", OWNER).values():
        billing.pay(invoice["id"], OWNER)
    billing.clock.advance(31 * DAY)
    assert billing.tick() == 0
    assert billing.events("billing.payment_reminder_due") == billing.events("billing.payment_deadline_expired") == []


def test_the_whole_deadline_story_in_seconds_from_the_settings(billing_at, database_url, monkeypatch):
    monkeypatch.setenv("BILLING_PAYMENT_DEADLINE", "PT3S")
    monkeypatch.setenv("BILLING_REMINDERS", "PT2S,PT1S")
    monkeypatch.setenv("BILLING_SCHEDULER_INTERVAL", "PT0.1S")
    from_env = Settings.from_env()
    billing = billing_at(
        database_url, clock=utcnow, deadlines=from_env.deadlines, scheduler_interval=from_env.scheduler_interval
    )
    billing.submit("REQ-1", OWNER)
    stop = threading.Event()
    loop = threading.Thread(target=Scheduler(billing.service).run, args=(stop,), daemon=True)
    loop.start()
    try:
        wait_until(lambda: billing.events("billing.payment_deadline_expired"), timeout=15)
    finally:
        stop.set()
        loop.join(10)
    assert [r["before_deadline"] for r in billing.events("billing.payment_reminder_due")] == ["PT2S", "PT1S"]
    assert len(billing.events("billing.payment_deadline_expired")) == 1


def test_two_schedulers_on_postgresql_never_remind_or_expire_twice(billing_at, make_postgres_database):
    url = make_postgres_database()
    billing = billing_at(url, scheduler_batch=25)
    requests = [f"REQ-{n:04d}" for n in range(300)]
    for number in requests:
        billing.submit(number, f"acct-{number}")
    second = BillingService(make_runtime(url), billing.service.settings, billing.clock)
    schedulers = [Scheduler(billing.service), Scheduler(second)]

    def race() -> list[int]:
        start, handled = threading.Barrier(len(schedulers)), []

        def run(scheduler):
            start.wait()
            handled.append(scheduler.tick())

        threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return handled

    billing.clock.advance(23 * DAY)
    assert sum(race()) == 300
    reminded = Counter(e["application_number"] for e in billing.events("billing.payment_reminder_due"))
    assert set(reminded) == set(requests) and set(reminded.values()) == {1}

    billing.clock.advance(7 * DAY)
    handled = race()
    assert sum(handled) == 300
    expired = Counter(e["application_number"] for e in billing.events("billing.payment_deadline_expired"))
    assert set(expired) == set(requests) and set(expired.values()) == {1}
    assert {row.status for row in billing.rows("fee_accounts")} == {"expired"}
    second.billing.db.dispose()
