"""The read-only views of the applicant's pages: the refund preview judges a withdrawal now by the
same named rules the withdrawal itself is decided by, and changes nothing; the caller's fee accounts."""

from datetime import timedelta

import pytest

from mumaris_testing import assert_error

pytestmark = pytest.mark.integration

OWNER, STRANGER = "acct-sara", "acct-omar"
DAY = timedelta(days=1)


def preview(billing, number="REQ-1", headers=None):
    return billing.client.get(f"/v1/refunds/preview?application={number}", headers=headers or billing.bearer(OWNER))


def by_kind(answer) -> dict:
    return {fee["kind"]: (fee["status"], fee["amount_halalas"], fee["rule"], fee["recorded"]) for fee in answer["fees"]}


def test_the_preview_is_what_the_withdrawal_then_decides_and_changes_nothing(billing):
    billing.submit("REQ-1", OWNER)
    billing.pay_all("REQ-1", OWNER)
    billing.clock.advance(10 * DAY)
    before = billing.snapshot()

    shown = preview(billing)
    assert shown.status_code == 200, shown.json
    assert by_kind(shown.json) == {
        "administrative": ("rejected", 0, "administrative_fee_not_refundable", False),
        "service": ("approved", 45000, "withdrawn_within_window", False),
    }
    assert shown.json["total_halalas"] == 45000
    assert billing.snapshot() == before and billing.events("billing.refund_decided") == []

    billing.withdraw("REQ-1", OWNER)
    decided = {
        kind: (r["status"], r["amount_halalas"], r["rule"]) for kind, r in billing.refunds("REQ-1", OWNER).items()
    }
    assert decided == {kind: fee[:3] for kind, fee in by_kind(shown.json).items()}
    assert {kind: fee[3] for kind, fee in by_kind(preview(billing).json).items()} == {
        "administrative": True,
        "service": True,
    }


@pytest.mark.parametrize(
    "after, rule",
    [
        (lambda billing: billing.clock.advance(31 * DAY), "refund_window_passed"),
        (lambda billing: billing.review_started("REQ-1", OWNER), "review_started"),
    ],
    ids=["window passed", "review started"],
)
def test_the_preview_names_the_rule_that_refuses(billing, after, rule):
    billing.submit("REQ-1", OWNER)
    billing.pay_all("REQ-1", OWNER)
    after(billing)
    assert by_kind(preview(billing).json)["service"] == ("rejected", 0, rule, False)
    assert preview(billing).json["total_halalas"] == 0


def test_unpaid_fees_are_not_in_the_preview(billing):
    billing.submit("REQ-1", OWNER)
    assert preview(billing).json["fees"] == []


def test_the_preview_is_for_the_owner_and_staff_only(billing):
    billing.submit("REQ-1", OWNER)
    assert_error(preview(billing, headers=billing.bearer(STRANGER, "applicant")), 404, "not_found")
    assert_error(preview(billing, "REQ-UNKNOWN"), 404, "not_found")
    assert preview(billing, headers=billing.reviewer()).status_code == 200


def test_the_callers_fee_accounts_show_each_deadline_and_what_is_unpaid(billing):
    billing.submit("REQ-1", OWNER)
    billing.clock.advance(DAY)
    billing.submit("REQ-2", OWNER)
    billing.submit("REQ-3", STRANGER)
    invoices = billing.invoices("REQ-1", OWNER)
    billing.pay(invoices["administrative"]["id"], OWNER)

    mine = billing.client.get("/v1/fee-accounts", headers=billing.bearer(OWNER)).json
    assert [(a["application"], a["status"], a["unpaid_halalas"]) for a in mine] == [
        ("REQ-2", "open", 20000 + 90000),
        ("REQ-1", "open", 90000),
    ]
    assert mine[1]["due_at"] == invoices["service"]["due_at"]


def test_the_fee_schedule_is_public_and_is_what_a_request_is_charged(billing):
    schedule = {row["category"]: row["fees"] for row in billing.client.get("/v1/fee-schedule").json}
    assert schedule["consultant"] == {"administrative": 20000, "service": 160000}
    billing.submit("REQ-1", OWNER, category="technician")
    charged = {kind: invoice["amount_halalas"] for kind, invoice in billing.invoices("REQ-1", OWNER).items()}
    assert charged == schedule["technician"]
