"""Story 6: the public status page — anyone with a request number sees its status and last change,
and nothing personal; and a tour of every page in both languages (axe-core, screenshots)."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import STAFF_PASSWORD, make_staff

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["ar", "en"])
def test_anyone_looks_a_request_up_by_its_number_and_sees_nothing_personal(visitor, gateway, language):
    person, token = gateway.active_account(language)
    number = gateway.new_request(token)
    anyone = visitor(language)
    anyone.open("/")
    anyone.check("home")
    anyone.page.fill("input[name=number]", number.lower())
    anyone.page.locator("form[action='/status'] button").click()
    expect(anyone.page).to_have_url(re.compile(r"/status\?number="))
    expect(anyone.page.locator(".badge--awaiting_payment")).to_be_visible()
    page = anyone.check("status-found")
    text = page.locator("main").inner_text()
    assert person["full_name"] not in text and person["email"] not in text and person["national_id"] not in text

    anyone.open("/status?number=MR-0000-0000-0000")
    expect(anyone.page.locator(".alert--error")).to_be_visible()
    anyone.check("status-unknown")


@pytest.fixture(scope="module")
def staff_world(gateway, platform):
    """What the staff pages show: an exemption claim, a data update and a refund claim waiting."""
    person, token = gateway.active_account("en")
    _email, reviewer = gateway.staff("reviewer")
    claimed = gateway.new_request(token, category="technician")
    gateway.invoices(token, claimed)
    exemption = gateway.call(
        "POST",
        "/api/billing/v1/exemptions",
        token=token,
        json={"application": claimed, "kind": "martyr_relative", "evidence_reference": "MOD-CERT-2026-0042"},
    )
    assert exemption.status_code == 201, exemption.text
    waiting = gateway.new_request(token)  # paid and under review: a refund claim waits for a reviewer
    invoices = gateway.invoices(token, waiting)
    for invoice in invoices.values():
        gateway.pay(token, invoice["id"], "mada")
    gateway.status_becomes(token, waiting, "under_review")
    refund = gateway.call(
        "POST", "/api/billing/v1/refunds", token=token, json={"invoice": invoices["service"]["id"], "reason": "moving"}
    )
    assert refund.status_code == 201 and refund.json()["status"] == "pending_review", refund.text
    approved = gateway.new_request(token)
    for invoice in gateway.invoices(token, approved).values():
        gateway.pay(token, invoice["id"], "sadad")
    gateway.status_becomes(token, approved, "under_review")
    gateway.call("POST", f"/api/applications/v1/applications/{approved}/review", token=reviewer)
    gateway.verify(reviewer, approved)
    decided = gateway.call(
        "POST", f"/api/applications/v1/applications/{approved}/decision", token=reviewer, json={"decision": "approve"}
    )
    membership = decided.json()["membership_number"]
    update = gateway.call(
        "POST",
        f"/api/applications/v1/memberships/{membership}/updates",
        token=token,
        json={"changes": {"address": "Riyadh, Olaya Street 12", "employer": {"name": "KFSH", "city": "Riyadh"}}},
    )
    assert update.status_code == 201, update.text
    return {"person": person, "request": approved, "membership": membership}


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_page_in_both_languages(visitor, platform, staff_world, language):
    anyone = visitor(language)
    for path, name in (
        ("/login", "login"),
        ("/register", "register"),
        ("/activate", "activate"),
        ("/password/forgot", "password-forgot"),
        ("/password/reset", "password-reset"),
        ("/status", "status"),
        ("/no-such-page", "not-found"),
    ):
        anyone.open(path)
        anyone.check(name)

    person = staff_world["person"]
    practitioner = visitor(language)
    practitioner.log_in(person["email"], person["password"])
    practitioner.open("/account")
    if practitioner.page.locator("html").get_attribute("lang") != language:
        # the header's switch: the cookie, and the account's language too (so the next login keeps it)
        practitioner.page.locator(f"button[name=language][value={language}]").click()
        expect(practitioner.page.locator("html")).to_have_attribute("lang", language)
    expect(practitioner.page.locator(f"input[name=language][value={language}]")).to_be_checked()
    practitioner.check("account")
    practitioner.open(f"/memberships/{staff_world['membership']}/update")
    practitioner.check("membership-update")
    practitioner.open("/requests")
    practitioner.check("requests-several")
    practitioner.open("/logout")
    practitioner.check("logout")

    reviewer = visitor(language)
    reviewer.log_in(make_staff(platform, "reviewer", language), STAFF_PASSWORD)
    for path, name in (
        ("/staff/exemptions", "staff-exemptions"),
        ("/staff/updates", "staff-updates"),
        ("/staff/refunds", "staff-refunds"),
    ):
        reviewer.open(path)
        expect(reviewer.page.locator("main form[method=post]").first).to_be_visible()
        reviewer.check(name)
    reviewer.open(f"/staff/queue?q={person['full_name'].split()[0]}")
    reviewer.check("staff-queue-search")
    reviewer.open(f"/staff/requests/{staff_world['request']}")
    reviewer.check("staff-request-approved")
