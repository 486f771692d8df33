"""Renewals' fees and a reviewer's classification: the category fee follows the new category — the
difference invoiced when higher (settled again once paid), refunded by `classification_lowered`
when lower — through the consumer's handlers and the API."""

import pytest

pytestmark = pytest.mark.integration

OWNER = "acct-sara"


def _classify(billing, number, previous, category, kind="registration"):
    return billing.deliver(
        "applications.application_classified",
        application_number=number,
        account_id=OWNER,
        kind=kind,
        previous_category=previous,
        category=category,
        classified_at="2026-11-25T10:00:00Z",
    )


def test_a_renewal_owes_the_administrative_and_the_renewal_fee_of_its_category(billing):
    billing.submit("REN-1", OWNER, category="technician", kind="renewal")
    invoices = billing.invoices("REN-1", OWNER)
    assert {kind: i["amount_halalas"] for kind, i in invoices.items()} == {"administrative": 20000, "renewal": 40000}


def test_a_higher_classification_invoices_the_difference_and_settles_again_once_paid(billing):
    billing.submit("REQ-1", OWNER, category="specialist")
    billing.pay_all("REQ-1", OWNER)
    assert len(billing.events("billing.fees_settled")) == 1
    _classify(billing, "REQ-1", "specialist", "consultant")
    _classify(billing, "REQ-1", "specialist", "consultant")  # a repeat changes nothing
    difference = billing.invoices("REQ-1", OWNER)["classification_difference"]
    assert (difference["amount_halalas"], difference["status"]) == (160000 - 90000, "unpaid")
    assert len(billing.events("billing.fees_settled")) == 1  # not before it is paid
    billing.pay(difference["id"], OWNER)
    assert len(billing.events("billing.fees_settled")) == 2


def test_a_lower_classification_refunds_the_difference_by_its_rule(billing):
    billing.submit("REQ-2", OWNER, category="consultant")
    billing.pay_all("REQ-2", OWNER)
    billing.review_started("REQ-2", OWNER)
    _classify(billing, "REQ-2", "consultant", "specialist")
    refund = billing.refunds("REQ-2", OWNER)["service"]
    assert (refund["rule"], refund["status"], refund["amount_halalas"]) == ("classification_lowered", "approved", 70000)
    assert len(billing.events("billing.fees_settled")) == 2  # nothing more is owed: the approval may go on
    _classify(billing, "REQ-2", "consultant", "specialist")
    assert len(billing.events("billing.refund_decided")) == 1
