"""Story 5: a wrong code, a resend that must wait, an expired session (back to the page wanted
after logging in again), a forgotten password (which ends the other sessions), another person's
request (404); and the session's own guarantees: CSRF on every form, an HttpOnly SameSite=Lax
cookie, the access token nowhere in the page."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from mumaris_shared.events import utcnow

from .conftest import PASSWORD, last_mail_id, mail_code, new_email, new_national_id

pytestmark = pytest.mark.browser

NEW_PASSWORD = "another long passphrase 8"


def register(person, email):
    person.open("/register")
    person.page.fill("input[name=full_name]", "Omar Al-Qahtani")
    person.page.fill("input[name=email]", email)
    person.page.fill("input[name=password]", PASSWORD)
    person.page.fill("input[name=national_id]", new_national_id())
    person.page.fill("input[name=mobile]", "0551234567")
    person.submit("/register")
    expect(person.page).to_have_url(re.compile(r"/activate\?email="))


def expire_sessions_of(platform, email):
    """The portal's sessions of `email` reach their end, as when their token's time is up."""
    engine = sa.create_engine(f"sqlite:///{platform.var_dir / 'portal.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE sessions SET expires_at = :past WHERE email = :email"),
                {"past": (utcnow() - timedelta(minutes=1)).replace(tzinfo=None), "email": email},
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_wrong_code_a_resend_wait_an_expired_session_and_a_forgotten_password(visitor, platform, language):
    person, email = visitor(language), new_email("omar")
    since = last_mail_id(person.mail)
    register(person, email)
    code = mail_code(person.mail, email, since)

    person.page.fill("input[name=code]", "000000" if code != "000000" else "111111")
    person.submit("/activate")
    # no count of tries left: the answer must not tell an address with an account from one without
    wrong = {"ar": "الرمز غير صحيح", "en": "The code is wrong"}[language]
    expect(person.page.locator(".alert--error")).to_contain_text(wrong)
    expect(person.page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    person.check("activate-wrong-code")

    person.submit("/activate/resend")
    expect(person.page.locator("[data-countdown]")).to_be_visible()
    expect(person.page.locator("button[data-wait]")).to_be_disabled()  # the script counts the wait down
    person.check("activate-resend-wait")

    person.page.fill("input[name=code]", code)
    person.submit("/activate")
    person.log_in(email)
    expect(person.page).to_have_url(re.compile(r"/requests$"))

    expire_sessions_of(platform, email)
    person.open("/account")
    expect(person.page).to_have_url(re.compile(r"/login\?next=/account"))
    expect(person.page.locator(".alert--warning")).to_be_visible()
    person.check("login-session-expired")
    person.fill("input[name=password]", PASSWORD)
    person.fill("input[name=email]", email)
    person.submit("/login")
    expect(person.page).to_have_url(re.compile(r"/account$"))
    person.check("account")

    elsewhere = visitor(language)
    elsewhere.log_in(email)
    expect(elsewhere.page).to_have_url(re.compile(r"/requests$"))
    person.submit("/logout")
    person.open("/password/forgot")
    person.check("password-forgot")
    since = last_mail_id(person.mail)
    person.page.fill("input[name=email]", email)
    person.submit("/password/forgot")
    expect(person.page).to_have_url(re.compile(r"/password/reset\?email="))
    person.check("password-reset")
    person.page.fill("input[name=code]", mail_code(person.mail, email, since))
    person.page.fill("input[name=password]", NEW_PASSWORD)
    person.submit("/password/reset")
    expect(person.page).to_have_url(re.compile(r"/login"))
    person.log_in(email, NEW_PASSWORD)
    expect(person.page).to_have_url(re.compile(r"/requests$"))

    elsewhere.open("/requests")  # the reset ended this session too
    expect(elsewhere.page).to_have_url(re.compile(r"/login\?next=/requests"))


@pytest.mark.parametrize("language", ["ar", "en"])
def test_another_persons_request_is_not_found(visitor, gateway, language):
    _owner, owner_token = gateway.active_account(language)
    number = gateway.new_request(owner_token)
    stranger, _token = gateway.active_account(language)
    person = visitor(language)
    person.log_in(stranger["email"], stranger["password"])
    for path in (f"/requests/{number}", f"/requests/{number}/withdraw"):
        assert person.page.goto(path).status == 404
        expect(person.page.locator("main")).not_to_contain_text(number)
    person.check("request-not-yours")


def test_forms_need_their_csrf_token_and_the_token_never_reaches_the_page(visitor, gateway):
    owner, _token = gateway.active_account("en")
    person = visitor("en")
    person.log_in(owner["email"], owner["password"])
    expect(person.page).to_have_url(re.compile(r"/requests$"))

    forged = person.page.request.post(
        "/account/password", form={"current_password": owner["password"], "password": NEW_PASSWORD}
    )
    assert forged.status == 400
    assert person.page.request.post("/logout", form={}).status == 400
    cookie = next(c for c in person.context.cookies() if c["name"] == "mumaris_portal")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # plain HTTP here
    assert "mumaris_portal" not in person.page.evaluate("document.cookie")
    assert "eyJ" not in person.page.content()  # no JWT anywhere in the page
    assert person.page.locator("form[method=post]:not(:has(input[name=csrf_token]))").count() == 0
