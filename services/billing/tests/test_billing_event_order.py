"""Events from applications may cross on the bus: a withdrawal that reaches billing before the
submission it follows is remembered and applied when the submission comes — no invoice is ever
issued for a withdrawn request."""

from datetime import timedelta

import pytest

from mumaris_shared.events import Event, isoformat
from mumaris_testing import wait_until

OWNER = "acct-sara"


@pytest.fixture
def billing_sqlite(billing_at, tmp_path):
    return billing_at(f"sqlite:///{tmp_path / 'billing.db'}")


def _nothing_issued(billing, number="REQ-1"):
    assert billing.invoices(number, OWNER) == {}
    assert billing.rows("invoices") == []
    assert billing.events("billing.invoice_issued") == billing.events("billing.fees_assessed") == []


@pytest.mark.unit
def test_a_withdrawal_before_the_submission_is_remembered_and_no_invoice_is_issued(billing_sqlite):
    billing = billing_sqlite
    withdrawn = billing.clock()
    billing.withdraw("REQ-1", OWNER)  # sent, then withdrawn: billing hears the second first
    assert [row.application_number for row in billing.rows("early_withdrawals")] == ["REQ-1"]
    assert billing.rows("fee_accounts") == []

    billing.clock.advance(timedelta(minutes=1))
    billing.submit("REQ-1", OWNER, at=withdrawn - timedelta(hours=1))
    _nothing_issued(billing)
    [account] = billing.rows("fee_accounts")
    assert (account.status, account.closed_by, account.withdrawn_at, account.next_check_at) == (
        "closed",
        "withdrawn",
        withdrawn,
        None,
    )
    assert billing.rows("early_withdrawals") == []

    billing.clock.advance(timedelta(days=31))
    assert billing.tick() == 0  # never reminded, never expired
    billing.submit("REQ-1", OWNER)  # a repeated submission changes nothing
    _nothing_issued(billing)
    assert billing.events("billing.payment_deadline_expired") == billing.events("billing.payment_reminder_due") == []


@pytest.mark.unit
def test_a_withdrawn_draft_is_not_remembered(billing_sqlite):
    billing_sqlite.withdraw("REQ-1", OWNER, previous_status="draft")
    assert billing_sqlite.rows("early_withdrawals") == []


@pytest.mark.unit
def test_a_withdrawal_told_twice_before_the_submission_is_remembered_once(billing_sqlite):
    billing = billing_sqlite
    billing.withdraw("REQ-1", OWNER)
    first = billing.rows("early_withdrawals")
    billing.clock.advance(timedelta(minutes=1))
    billing.withdraw("REQ-1", OWNER)  # another event telling it again
    assert billing.rows("early_withdrawals") == first


@pytest.mark.integration
def test_a_withdrawal_delivered_before_its_submission_on_the_bus_issues_no_invoice(
    billing_at, make_postgres_database, on_the_bus
):
    billing = billing_at(make_postgres_database())
    request = {"application_number": "REQ-BUS", "account_id": OWNER}
    withdrawn = Event(
        type="applications.application_withdrawn",
        producer="applications",
        data={**request, "previous_status": "awaiting_payment", "withdrawn_at": isoformat(billing.clock())},
    )
    submitted = Event(
        type="applications.application_submitted",
        producer="applications",
        data={**request, "category": "consultant", "specialty": "surgery", "submitted_at": isoformat(billing.clock())},
    )
    with on_the_bus(billing) as publish:
        publish(withdrawn)
        wait_until(lambda: billing.rows("early_withdrawals"))
        publish(submitted)
        wait_until(lambda: billing.rows("fee_accounts"))
    _nothing_issued(billing, "REQ-BUS")
    [account] = billing.rows("fee_accounts")
    assert (account.status, account.closed_by) == ("closed", "withdrawn")
