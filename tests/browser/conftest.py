"""The portal in a real Chromium (Debian's, launched by its path: Playwright's own browser download
is not used), against the whole platform started like the end-to-end tests start it. Every page a
test visits is checked by axe-core (no serious or critical violation) and saved as a screenshot
under var/screenshots/<language>/<name>.png."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

from ops.launcher import ROOT
from tests.e2e.conftest import Gateway, start_platform

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
BLOCKING = ("serious", "critical")
PASSWORD = "correct horse battery 42"
AXE = Axe()


# A licence is due for renewal two seconds after its approval (and, renewed, for a long while
# after), so the licence's stories need no wait; nothing else in a browser story depends on it.
LICENCE_DURATIONS = {"LICENCE_VALIDITY": "P400D", "LICENCE_RENEWAL_WINDOW": "P399DT23H59M58S"}


@pytest.fixture(scope="package")
def platform(broker, tmp_path_factory):
    # A virtual host of its own, as the e2e package's platform (tests/e2e/conftest.py).
    with start_platform(broker.new_url(), tmp_path_factory.mktemp("platform"), **LICENCE_DURATIONS) as running:
        yield running


@pytest.fixture(scope="package")
def gateway(platform):
    return Gateway(platform)


@pytest.fixture(scope="package")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """One person in their own browser context (own cookies), in one language. With `keyboard_only`
    they fill, choose and press with the keyboard alone: Tab to reach a control, then type, arrow
    keys or Enter, as a person who uses no mouse does."""

    def __init__(self, browser, base_url: str, language: str, mail, keyboard_only: bool = False):
        self.base_url, self.language, self.mail, self.keyboard_only = base_url, language, mail, keyboard_only
        self.context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1280, "height": 900},
            locale="ar-SA" if language == "ar" else "en-GB",  # the browser's own controls in that language too
            timezone_id="Asia/Riyadh",
        )
        self.context.set_default_timeout(20_000)
        if language != "ar":
            self.context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
        self.page: Page = self.context.new_page()

    def open(self, path: str) -> Page:
        self.page.goto(path)
        return self.page

    def check(self, name: str) -> Page:
        """The page as it is now: in the visitor's language and direction, accessible, photographed."""
        page = self.page
        direction = "rtl" if self.language == "ar" else "ltr"
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        expect(page.locator("html")).to_have_attribute("dir", direction)
        results = AXE.run(page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        assert not blocking, f"{name} ({self.language}): " + "; ".join(
            f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking
        )
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(el => !(el.labels && el.labels.length)).map(el => el.name)"""
        )
        assert unlabeled == [], f"{name}: inputs without a label: {unlabeled}"
        folder = SCREENSHOTS / self.language
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        return page

    # --- acting, with a mouse or with the keyboard alone ------------------------------------------
    def fill(self, selector: str, text: str) -> None:
        field = self.page.locator(selector)
        if not self.keyboard_only:
            field.fill(text)
            return
        self._tab_to(field)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def choose(self, selector: str) -> None:
        """A radio button: Tab reaches its group, arrow keys move to it."""
        target = self.page.locator(selector)
        if not self.keyboard_only:
            target.check()
            return
        name = target.get_attribute("name")
        self._tab_until(f"() => document.activeElement && document.activeElement.name === {json.dumps(name)}")
        for _ in range(12):
            if target.is_checked():
                return
            if target.evaluate("e => e === document.activeElement"):
                self.page.keyboard.press("Space")
            else:
                self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{selector} cannot be chosen with the arrow keys")

    def pick(self, selector: str, value: str) -> None:
        """An option of a <select>: Tab reaches it, the arrow keys move to the option."""
        field = self.page.locator(selector)
        if not self.keyboard_only:
            field.select_option(value)
            return
        self._tab_to(field)
        for _ in range(12):
            if field.input_value() == value:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{value} cannot be chosen in {selector} with the arrow keys")

    def press(self, selector: str) -> None:
        """A link or a button."""
        target = self.page.locator(selector)
        if not self.keyboard_only:
            target.click()
            return
        self._tab_to(target)
        self.page.keyboard.press("Enter")

    def _tab_to(self, target) -> None:
        target.wait_for()
        self._tab_until(lambda: target.evaluate("e => e === document.activeElement"))

    def _tab_until(self, reached, limit: int = 150) -> None:
        check = reached if callable(reached) else (lambda: self.page.evaluate(reached))
        for _ in range(limit):
            if check():
                return
            self.page.keyboard.press("Tab")
        raise AssertionError("not reachable with the Tab key")

    def submit(self, form_action: str) -> None:
        """The submit button of the form posting to `form_action`."""
        self.press(f"form[action='{form_action}'] button[type=submit]")

    def log_in(self, email: str, password: str = PASSWORD) -> Page:
        self.open("/login")
        self.fill("input[name=email]", email)
        self.fill("input[name=password]", password)
        self.submit("/login")
        return self.page

    def reload_until(self, selector: str, timeout: float = 60, gone: bool = False) -> Page:
        """Reload the page until `selector` shows, or is `gone` (what another service does by event, a
        moment later)."""
        deadline = time.monotonic() + timeout
        while (self.page.locator(selector).count() == 0) != gone:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{selector} did not {'go' if gone else 'appear'} on {self.page.url} in {timeout}s"
                )
            time.sleep(0.3)
            try:
                self.page.reload()
            except PlaywrightError:
                # The page was still on its way somewhere: a form sent with the Enter key (which,
                # unlike a click, does not wait for the answer) whose answer was slow. Let that
                # navigation finish, then look again.
                self.page.wait_for_load_state()
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitor(chromium, platform):
    """visitor(language) → a new person in a fresh browser context; all closed after the test."""
    made = []

    def make(language: str = "ar", keyboard_only: bool = False) -> Visitor:
        made.append(Visitor(chromium, platform.gateway_url, language, platform.mailcatcher_instance, keyboard_only))
        return made[-1]

    yield make
    for one in made:
        one.close()


STAFF_PASSWORD = "a long staff passphrase 7"


def make_staff(platform, role: str, language: str) -> str:
    """A staff member made with the staff command (`make staff`), writing in `language`: their e-mail."""
    email = new_email(role.replace("_", "-"))
    made = platform.run_module(
        "accounts.cli",
        "create-staff",
        "--email",
        email,
        "--password",
        STAFF_PASSWORD,
        "--role",
        role,
        "--language",
        language,
        "--full-name",
        {"reviewer": "Noura", "secretary_general": "Khalid"}[role],
        "--national-id",
        "1" + str(uuid.uuid4().int)[:9],  # her own: nobody decides their own case
    )
    assert made.returncode == 0, made.stderr
    return email


def new_email(who: str = "sara") -> str:
    return f"{who}.{uuid.uuid4().hex[:10]}@example.sa"


def new_national_id() -> str:
    return "1" + str(uuid.uuid4().int)[:9]


def last_mail_id(mail) -> int:
    return max((m["id"] for m in mail.messages()), default=0)


def mail_code(mail, email: str, since: int, subject_has: str = "") -> str:
    """The 6-digit code of the first e-mail to `email` (whose subject holds `subject_has`) that
    arrived after the message `since`."""
    message = mail.wait_for(
        lambda m: email in m["to"] and subject_has in m["subject"] and bool(code_in(m)), timeout=60, since=since
    )
    return code_in(message)


def code_in(message) -> str | None:
    found = re.search(r"\b(\d{6})\b", message.get("text") or "")
    return found.group(1) if found else None
