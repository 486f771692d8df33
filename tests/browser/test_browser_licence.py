"""The licence's life in the browser. A renewal: after approval the licence is shown, a renewal
short of CPD hours says how many count and how many are needed, CPD hours are recorded with a
certificate and accepted by a reviewer, and the renewal is sent, paid and approved (a new valid-until
date). A return for corrections answered in the browser, then a classification whose fee difference
billing refunds. The card downloaded, and the public /verify page reached from the link printed on
it; the register's rate limit asking to try again shortly. And every new page in both languages.

The package's platform makes a licence due for renewal two seconds after its approval (conftest),
so none of this waits for days."""

import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from mumaris_testing import wait_until

from .conftest import STAFF_PASSWORD, make_staff
from .test_browser_practitioner import pay

pytestmark = pytest.mark.browser

CERTIFICATE = [{"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% certificate\n"}]


def under_review(gateway, token, category="technician"):
    """A request sent with its documents, both fees paid: waiting for a reviewer. Its number."""
    number = gateway.new_request(token, category=category)
    for invoice in gateway.invoices(token, number).values():
        gateway.pay(token, invoice["id"], "mada")
    gateway.status_becomes(token, number, "under_review")
    return number


def taken(gateway, reviewer, number):
    answer = gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=reviewer)
    assert answer.status_code == 200, answer.text


def approved(gateway, token, reviewer):
    """An approved registration (its licence due for renewal moments later): (number, membership number)."""
    number = under_review(gateway, token)
    taken(gateway, reviewer, number)
    gateway.verify(reviewer, number)
    decided = gateway.call(
        "POST", f"/api/applications/v1/applications/{number}/decision", token=reviewer, json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    return number, decided.json()["membership_number"]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def record_cpd(person, membership_number, title, hours, certificate=False):
    person.fill("input[name=title]", title)
    person.fill("input[name=provider]", "Saudi Commission for Health Specialties")
    person.page.fill("input[name=date]", today())
    person.fill("input[name=hours]", hours)
    if certificate:
        person.page.set_input_files("form[action$='/cpd'] input[name=file]", files=CERTIFICATE)
    person.submit(f"/memberships/{membership_number}/cpd")
    expect(person.page.locator(".alert--success")).to_be_visible()


def test_a_licence_is_renewed_with_cpd_hours_and_a_certificate(visitor, gateway, platform, tmp_path):
    person, token = gateway.active_account("ar")
    _email, api_reviewer = gateway.staff("reviewer")
    number, membership_number = approved(gateway, token, api_reviewer)

    practitioner = visitor("ar")
    practitioner.log_in(person["email"], person["password"])
    practitioner.open(f"/requests/{number}")
    practitioner.reload_until("[data-licence-status=expiring]")
    practitioner.check("request-approved-licence")
    practitioner.press(f"a[href='/memberships/{membership_number}']")
    page = practitioner.page
    first_until = page.locator("time.valid-until").get_attribute("datetime")
    expect(page.locator(".cpd-counted")).to_have_text("0")
    expect(page.locator(".cpd-required")).to_have_text("30")  # a technician's hours
    practitioner.check("licence-due")

    # the card, and the public register reached from the link printed on it
    with page.expect_download() as download:
        practitioner.press(f"a[href='/memberships/{membership_number}/card']")
    card = tmp_path / "card.pdf"
    download.value.save_as(card)
    assert card.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(card), "-"], capture_output=True, text=True, check=True).stdout
    assert membership_number in text
    link = re.search(rf"https?://\S+/verify/{membership_number}", text).group(0)
    anyone = visitor("ar")
    anyone.open(link)
    expect(anyone.page.locator(".membership")).to_have_text(membership_number)
    expect(anyone.page.locator("[data-licence-status=expiring]")).to_be_visible()
    expect(anyone.page.locator("main")).to_contain_text(person["full_name"])
    anyone.check("verify-entry")

    # a renewal short of CPD hours says how many count and how many are needed
    practitioner.submit(f"/memberships/{membership_number}/renewals")
    expect(page.locator(".alert--error")).to_contain_text("0")
    expect(page.locator(".alert--error")).to_contain_text("30")
    practitioner.check("licence-renewal-short")
    record_cpd(practitioner, membership_number, "Radiation safety", "30", certificate=True)
    expect(page.locator("tr[data-cpd-status=pending] a.certificate")).to_have_count(1)
    expect(page.locator(".cpd-counted")).to_have_text("30")
    practitioner.check("licence-cpd-recorded")

    reviewer = visitor("ar")
    reviewer.log_in(make_staff(platform, "reviewer", "ar"), STAFF_PASSWORD)
    reviewer.open("/staff/cpd")
    activity = reviewer.page.locator("section.card", has_text="Radiation safety").filter(has_text=membership_number)
    expect(activity.locator("a.certificate")).to_have_count(1)
    reviewer.check("staff-cpd")
    activity.locator("input[name=decision][value=approve]").check()
    activity.locator("button[type=submit]").click()
    expect(reviewer.page.locator(".alert--success")).to_be_visible()

    # the renewal: a request of its own, sent and paid on the request's pages, then approved
    practitioner.open(f"/memberships/{membership_number}")
    expect(page.locator("tr[data-cpd-status=accepted]")).to_have_count(1)
    practitioner.submit(f"/memberships/{membership_number}/renewals")
    expect(page).to_have_url(re.compile(r"/requests/MR-[0-9A-Z-]+$"))
    renewal = page.url.rsplit("/", 1)[1]
    expect(page.locator("#send-title ~ dl.facts")).to_contain_text("400.00")  # the renewal fee, before sending
    practitioner.check("renewal-draft")
    practitioner.pick("select[name=kind]", "identity")
    page.set_input_files("input[name=file]", files=[{**CERTIFICATE[0], "name": "passport.pdf"}])
    practitioner.submit(f"/requests/{renewal}/documents")
    practitioner.submit(f"/requests/{renewal}/submit")
    practitioner.reload_until("form.pay")
    pay(practitioner, renewal, "mada")
    pay(practitioner, renewal, "sadad")
    practitioner.reload_until(".badge--under_review")

    reviewer.open(f"/staff/requests/{renewal}")
    reviewer.page.locator(f"form[action='/staff/requests/{renewal}/review'] button").click()
    reviewer.page.locator(f"form[action='/staff/requests/{renewal}/decision'] input[value=approve]").check()
    reviewer.check("staff-renewal-taken")
    reviewer.page.locator(f"form[action='/staff/requests/{renewal}/decision'] button").click()
    expect(reviewer.page.locator(".badge--approved")).to_be_visible()

    practitioner.open(f"/memberships/{membership_number}")
    expect(page.locator("[data-licence-status=active]")).to_be_visible()
    assert page.locator("time.valid-until").get_attribute("datetime") > first_until
    practitioner.check("licence-renewed")


def test_a_return_for_corrections_is_answered_then_the_request_is_classified(visitor, gateway, platform):
    person, token = gateway.active_account("en")
    number = under_review(gateway, token, category="specialist")
    reviewer = visitor("en")
    reviewer.log_in(make_staff(platform, "reviewer", "en"), STAFF_PASSWORD)
    reviewer.open(f"/staff/requests/{number}")
    reviewer.page.locator(f"form[action='/staff/requests/{number}/review'] button").click()
    returning = reviewer.page.locator(f"form[action='/staff/requests/{number}/return']")
    returning.locator("textarea[name=reason]").fill("The passport scan is cut off; the specialty is misspelt.")
    returning.locator("button").click()  # nothing named to correct: refused beside its form
    expect(returning.locator("#items-error")).to_be_visible()
    reviewer.check("staff-request-return-refused")
    returning.locator("input[name=items][value=specialty]").check()
    returning.locator("input[name=items][value=identity]").check()
    returning.locator("button").click()
    expect(reviewer.page.locator(".badge--returned")).to_be_visible()
    reviewer.check("staff-request-returned")

    practitioner = visitor("en")
    practitioner.log_in(person["email"], person["password"])
    practitioner.open(f"/requests/{number}")
    page = practitioner.page
    expect(page.locator(".reason")).to_have_text("The passport scan is cut off; the specialty is misspelt.")
    expect(page.locator("[data-return-item]")).to_have_count(2)
    expect(page.locator("#returned-title ~ p strong")).to_contain_text("Send it again by")
    practitioner.check("request-returned")
    practitioner.fill("input[name=specialty]", "Cardiology nursing")
    practitioner.submit(f"/requests/{number}/edit")
    expect(page.locator(".alert--success")).to_be_visible()
    practitioner.pick("select[name=kind]", "identity")
    page.set_input_files("input[name=file]", files=[{**CERTIFICATE[0], "name": "passport-whole.pdf"}])
    practitioner.submit(f"/requests/{number}/documents")
    practitioner.submit(f"/requests/{number}/submit")
    expect(page.locator(".alert--success")).to_contain_text("No new fee is due")
    expect(page.locator(".badge--under_review")).to_be_visible()
    expect(page.locator("tr[data-invoice-status]")).to_have_count(2)  # the same two fees, nothing new
    practitioner.check("request-sent-again")

    # the reviewer classifies it lower: billing refunds the difference of the category fee
    reviewer.open(f"/staff/requests/{number}")
    reviewer.page.locator("select[name=category]").select_option("technician")
    reviewer.page.locator(f"form[action='/staff/requests/{number}/classification'] button").click()
    expect(reviewer.page.locator(".classified")).to_contain_text("Technician")
    expect(reviewer.page.locator(".classified")).to_contain_text("Specialist")
    reviewer.reload_until("#refunds-title")
    expect(reviewer.page.locator("main")).to_contain_text("500.00")  # 900 → 400 SAR
    reviewer.check("staff-request-classified")
    reviewer.page.locator("input[name=outcome][value=verified]").check()
    reviewer.page.locator(f"form[action='/staff/requests/{number}/dataflow'] button").click()
    reviewer.reload_until(".difference-settled")  # billing settled the difference: it may be approved
    reviewer.page.locator(f"form[action='/staff/requests/{number}/decision'] input[value=approve]").check()
    reviewer.page.locator(f"form[action='/staff/requests/{number}/decision'] button").click()
    expect(reviewer.page.locator(".badge--approved")).to_be_visible()


@pytest.fixture(scope="module")
def licence_world(gateway):
    """What the licence's pages show, made through the API: a licence due for renewal with a CPD
    activity (and its certificate) waiting for a reviewer, and a request returned for corrections."""
    person, token = gateway.active_account("en", full_name="Huda Al-Zahrani")
    reviewer_email, reviewer = gateway.staff("reviewer")
    _number, membership_number = approved(gateway, token, reviewer)
    activity = gateway.call(
        "POST",
        f"/api/applications/v1/memberships/{membership_number}/cpd",
        token=token,
        json={"title": "Infection control", "provider": "SCFHS", "date": today(), "hours": "10"},
    )
    assert activity.status_code == 201, activity.text
    path = f"/api/applications/v1/memberships/{membership_number}/cpd/{activity.json()['id']}/documents"
    assert gateway.upload(token, path, "cpd_certificate").status_code == 201
    returned = under_review(gateway, token)
    taken(gateway, reviewer, returned)
    answer = gateway.call(
        "POST",
        f"/api/applications/v1/applications/{returned}/return",
        token=reviewer,
        json={"reason": "The degree certificate is unreadable.", "items": ["degree", "qualification"]},
    )
    assert answer.status_code == 200, answer.text
    return {
        "person": person,
        "reviewer_email": reviewer_email,
        "membership_number": membership_number,
        "returned": returned,
    }


def in_language(person, language):
    """The page in `language`, by the header's switch (which a logged-in account also keeps)."""
    person.language = language
    if person.page.locator("html").get_attribute("lang") != language:
        person.page.locator(f"button[name=language][value={language}]").click()
        expect(person.page.locator("html")).to_have_attribute("lang", language)


def test_every_licence_page_in_both_languages(visitor, licence_world):
    """The same three people see every page first in Arabic, then in English."""
    membership_number, returned = licence_world["membership_number"], licence_world["returned"]
    anyone, practitioner, reviewer = visitor("ar"), visitor("ar"), visitor("ar")
    practitioner.log_in(licence_world["person"]["email"], licence_world["person"]["password"])
    reviewer.log_in(licence_world["reviewer_email"], STAFF_PASSWORD)
    for language in ("ar", "en"):
        anyone.open("/")
        in_language(anyone, language)
        anyone.page.fill("input[name=membership_number]", membership_number)
        anyone.page.locator("form[action='/verify'] button").click()
        expect(anyone.page).to_have_url(re.compile(rf"/verify/{membership_number}$"))
        anyone.check("verify-entry-from-home")
        anyone.open("/verify")
        anyone.check("verify")
        anyone.open("/verify?name=Huda&specialty=cardiology")
        expect(anyone.page.locator(f"a[href='/verify/{membership_number}']")).to_have_count(1)
        anyone.check("verify-found")
        anyone.open("/verify?name=H&specialty=cardiology")
        expect(anyone.page.locator("#f-name-error")).to_be_visible()
        anyone.check("verify-refused")
        anyone.open("/verify/1000000000")
        expect(anyone.page.locator(".alert--error")).to_be_visible()
        anyone.check("verify-not-found")
        anyone.open("/verify/too-many-look-ups")
        anyone.check("verify-busy")

        practitioner.open(f"/memberships/{membership_number}")
        in_language(practitioner, language)
        practitioner.reload_until("[data-licence-status=expiring]")
        expect(practitioner.page.locator("tr[data-cpd-status=pending] a.certificate")).to_have_count(1)
        practitioner.check("licence")
        practitioner.submit(f"/memberships/{membership_number}/renewals")
        expect(practitioner.page.locator(".alert--error")).to_contain_text("10")  # of the 30 hours needed
        practitioner.check("licence-renewal-refused")
        practitioner.open(f"/requests/{returned}")
        expect(practitioner.page.locator("input[name='qualification.degree']")).to_be_visible()
        practitioner.check("request-returned-fields")

        reviewer.open("/staff/cpd")
        in_language(reviewer, language)
        expect(reviewer.page.locator("section.card", has_text=membership_number).first).to_be_visible()
        reviewer.check("staff-cpd-waiting")
        reviewer.open(f"/staff/requests/{returned}")
        expect(reviewer.page.locator(".reason")).to_be_visible()
        reviewer.check("staff-request-returned")


def test_too_many_look_ups_ask_to_try_again_shortly(visitor, gateway, licence_world):
    """The register's limit counts the API and the portal's pages together, per client address."""
    path = f"/verify/{licence_world['membership_number']}"
    anyone = visitor("ar")
    statuses: list[int] = []
    done = threading.Event()

    def look_up() -> None:
        while not done.is_set():
            statuses.append(_register_status(gateway, licence_world))

    # The limit refills five times a second: the API's look-ups go on while the page is asked for,
    # so that the page, however long the browser takes to ask, meets a spent limit.
    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(look_up)
        try:
            wait_until(lambda: 429 in statuses)
            for _attempt in range(5):  # a refill may still fall to the page: ask until it is refused
                answer = anyone.page.goto(path)
                if answer.status == 429:
                    break
        finally:
            done.set()
    assert 429 in statuses
    assert answer.status == 429
    expect(anyone.page.locator("h1")).to_have_text("يُرجى المحاولة بعد قليل")
    anyone.check("verify-rate-limited")


def _register_status(gateway, world) -> int:
    url = f"{gateway.base}/api/applications/v1/register/{world['membership_number']}"
    return requests.get(url, timeout=30).status_code
