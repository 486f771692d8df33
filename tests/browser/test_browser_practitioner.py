"""Stories 1 and 2: a practitioner registers, activates with the e-mailed code, sends a request,
pays both fees through the sandbox bank, a reviewer in another browser takes and approves it, and
the practitioner sees the membership number — in Arabic with the keyboard alone, and in English."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD, STAFF_PASSWORD, last_mail_id, mail_code, make_staff, new_email, new_national_id

pytestmark = pytest.mark.browser

NAMES = {"ar": "سارة عبدالله الحربي", "en": "Sara Abdullah Al-Harbi"}


def register_and_activate(person, language: str, email: str, national_id: str) -> None:
    since = last_mail_id(person.mail)
    person.open("/register")
    person.check("register")
    person.fill("input[name=full_name]", NAMES[language])
    person.fill("input[name=email]", email)
    person.fill("input[name=password]", PASSWORD)
    person.fill("input[name=national_id]", national_id)
    person.fill("input[name=mobile]", "0551234567")
    person.submit("/register")
    expect(person.page).to_have_url(re.compile(r"/activate\?email="))
    person.check("activate")
    person.fill("input[name=code]", mail_code(person.mail, email, since))
    person.submit("/activate")
    expect(person.page).to_have_url(re.compile(r"/login\?email="))


def send_a_request(person) -> str:
    person.check("requests-empty")
    person.press("a.button[href='/requests/new']")
    person.check("request-new")
    person.choose("input[name=category][value=consultant]")
    person.fill("input[name=specialty]", "Cardiology")
    person.fill("input[name='qualification.degree']", "MBBS")
    person.fill("input[name='qualification.institution']", "King Saud University")
    person.fill("input[name='qualification.country']", "SA")
    person.fill("input[name='qualification.year']", "2012")
    person.fill("input[name=dataflow_reference]", "DF-2026-0001")
    person.submit("/requests/new")
    expect(person.page).to_have_url(re.compile(r"/requests/MR-[0-9A-Z-]+$"))
    number = person.page.url.rsplit("/", 1)[1]
    person.check("request-draft")
    for kind in ("degree", "identity", "specialty_certificate"):  # what a consultant's request needs
        person.pick("select[name=kind]", kind)
        # the file is chosen in the system's dialog, outside the page: set it as that dialog would
        person.page.set_input_files(
            "input[name=file]",
            files=[{"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% scanned\n"}],
        )
        person.submit(f"/requests/{number}/documents")
        expect(person.page.locator(f"li[data-document-kind={kind}]")).to_have_count(1)
    person.check("request-draft-documents")
    person.submit(f"/requests/{number}/submit")
    person.reload_until("form.pay")
    person.check("request-awaiting-payment")
    return number


def pay(person, number: str, method: str, screenshot: str | None = None) -> None:
    form = person.page.locator("form.pay").first
    action = form.get_attribute("action")
    person.choose(f"form[action='{action}'] input[name=method][value={method}]")
    person.submit(action)
    expect(person.page).to_have_url(re.compile(rf"/requests/{number}/payments/"))
    if screenshot:
        person.check(screenshot)
    person.press("button[name=outcome][value=captured]")
    expect(person.page).to_have_url(re.compile(rf"/requests/{number}$"))
    person.reload_until(f"form[action='{action}']", gone=True)  # paid once the bank's notice came


def review_and_approve(reviewer, platform, national_id: str, number: str) -> None:
    reviewer.log_in(make_staff(platform, "reviewer", reviewer.language), STAFF_PASSWORD)
    expect(reviewer.page).to_have_url(re.compile(r"/staff/queue$"))
    reviewer.check("staff-queue")
    reviewer.page.fill("input[name=q]", national_id)
    reviewer.page.locator("form.search button").click()
    reviewer.page.locator(f"a[href='/staff/requests/{number}']").click()
    reviewer.check("staff-request-under-review")
    reviewer.page.locator(f"form[action='/staff/requests/{number}/review'] button").click()
    reviewer.page.locator("input[name=outcome][value=verified]").check()
    reviewer.page.fill("input[name=note]", "confirmed at source")
    reviewer.page.locator(f"form[action='/staff/requests/{number}/dataflow'] button").click()
    expect(reviewer.page.locator(f"form[action='/staff/requests/{number}/dataflow']")).to_have_count(0)
    reviewer.page.locator("input[name=decision][value=approve]").check()
    reviewer.page.fill("textarea[name=reason]", "qualifications verified")
    reviewer.check("staff-request-taken")
    reviewer.page.locator(f"form[action='/staff/requests/{number}/decision'] button").click()
    expect(reviewer.page.locator(".badge--approved")).to_be_visible()
    reviewer.check("staff-request-approved")


@pytest.mark.parametrize(
    "language, keyboard_only", [("ar", True), ("en", False)], ids=["arabic-keyboard-only", "english"]
)
def test_a_practitioner_goes_from_registration_to_a_membership_number(visitor, platform, language, keyboard_only):
    practitioner = visitor(language, keyboard_only=keyboard_only)
    email, national_id = new_email(), new_national_id()
    register_and_activate(practitioner, language, email, national_id)
    practitioner.check("login")
    practitioner.fill("input[name=password]", PASSWORD)
    practitioner.submit("/login")
    expect(practitioner.page).to_have_url(re.compile(r"/requests$"))

    number = send_a_request(practitioner)
    pay(practitioner, number, "sadad", screenshot="payment-sandbox-sadad")
    pay(practitioner, number, "mada")
    practitioner.reload_until(".badge--under_review")
    practitioner.check("request-under-review")

    review_and_approve(visitor(language), platform, national_id, number)

    practitioner.open(f"/requests/{number}")
    membership = practitioner.page.locator(".membership")
    expect(membership).to_have_text(re.compile(r"^\d{10}$"))
    membership_number = membership.inner_text()
    practitioner.check("request-approved")
    practitioner.open("/requests")
    expect(practitioner.page.locator("tbody tr")).to_have_count(1)
    expect(practitioner.page.locator("tbody")).to_contain_text(membership_number)
    practitioner.check("requests")

    practitioner.open(f"/requests/{number}")  # the data update (R11): it goes to a reviewer
    practitioner.press(f"a[href='/memberships/{membership_number}/update']")
    practitioner.fill("input[name=address]", "Riyadh, Olaya Street 12")
    practitioner.submit(f"/memberships/{membership_number}/update")
    expect(practitioner.page).to_have_url(re.compile(rf"/requests/{number}$"))
    expect(practitioner.page.locator(".alert--success")).to_be_visible()
    practitioner.check("request-update-sent")
