"""Story 3: a withdrawal — billing's preview shows the refund the rules give before the person
confirms, and the refund is then paid. Story 4: a secretary-general's waiver."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import STAFF_PASSWORD, make_staff

pytestmark = pytest.mark.browser


def paid_request(gateway, language):
    """A practitioner (made through the API) with a sent consultant request whose two fees are paid."""
    person, token = gateway.active_account(language)
    number = gateway.new_request(token, category="consultant")
    for invoice in gateway.invoices(token, number).values():
        gateway.pay(token, invoice["id"], "mada")
    gateway.status_becomes(token, number, "under_review")
    return person, number


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_withdrawal_shows_the_refund_first_then_pays_it(visitor, gateway, language):
    person, number = paid_request(gateway, language)
    practitioner = visitor(language)
    practitioner.log_in(person["email"], person["password"])
    practitioner.open(f"/requests/{number}")
    practitioner.page.locator(f"a[href='/requests/{number}/withdraw']").click()

    preview = practitioner.check("withdraw-preview")
    rows = preview.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(preview.locator(".total")).to_contain_text("800.00")  # half the 1,600.00 service fee
    expect(preview.locator("tbody")).to_contain_text("1,600.00")
    practitioner.page.locator(f"form[action='/requests/{number}/withdraw'] button[type=submit]").click()

    expect(practitioner.page).to_have_url(re.compile(rf"/requests/{number}$"))
    expect(practitioner.page.locator(".badge--withdrawn")).to_be_visible()
    practitioner.reload_until("tr[data-refund-status=paid]")
    paid = practitioner.page.locator("tr[data-refund-status=paid]")
    expect(paid).to_have_count(1)
    expect(paid).to_contain_text("800.00")
    expect(practitioner.page.locator(f"a[href='/requests/{number}/withdraw']")).to_have_count(0)
    practitioner.check("request-withdrawn-refund-paid")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_secretary_general_waives_both_fees_and_the_request_goes_to_review(visitor, gateway, platform, language):
    person, token = gateway.active_account(language)
    number = gateway.new_request(token, category="technician")
    gateway.invoices(token, number)

    secretary = visitor(language)
    secretary.log_in(make_staff(platform, "secretary_general", language), STAFF_PASSWORD)
    expect(secretary.page).to_have_url(re.compile(r"/staff/waivers$"))
    secretary.check("staff-waivers")
    secretary.page.fill("input[name=application]", number)
    secretary.page.fill("input[name=decision_number]", "SG-1448-0012")
    secretary.page.locator("input[name=kinds][value=administrative]").check()
    secretary.page.locator("input[name=kinds][value=service]").check()
    secretary.page.locator("form[action='/staff/waivers'] button[type=submit]").click()
    expect(secretary.page.locator(".alert--success")).to_be_visible()
    secretary.check("staff-waiver-recorded")

    secretary.open("/staff/queue")  # the reviewers' page: not for the secretary-general
    expect(secretary.page.locator("h1")).to_have_count(1)
    secretary.check("forbidden")

    practitioner = visitor(language)
    practitioner.log_in(person["email"], person["password"])
    practitioner.open(f"/requests/{number}")
    practitioner.reload_until(".badge--under_review")
    expect(practitioner.page.locator("tr[data-invoice-status=waived]")).to_have_count(2)
    practitioner.check("request-fees-waived")
