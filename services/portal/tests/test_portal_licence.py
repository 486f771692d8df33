"""The licence's pages over fakes of the APIs: the public register (one practitioner, a search a page
at a time, its rate limit), the holder's licence with CPD activities, a renewal short of CPD hours,
the card streamed with the token kept on the server, a return for corrections answered, and the
reviewer's return, classification and CPD decisions. Every body sent is the API's."""

from __future__ import annotations

import io
import re

import pytest

from portal.adapters.services import ApiError

from .conftest import SARA, TOKEN, FakeApplications, csrf_of, log_in

pytestmark = pytest.mark.unit

MEMBERSHIP = "1234567897"
ENTRY = {
    "membership_number": MEMBERSHIP,
    "full_name": "Sara Al-Harbi",
    "classification": "consultant",
    "specialty": "Cardiology",
    "licence_status": "expiring",
    "valid_until": "2028-11-25T10:00:00Z",
}
LICENCE = {
    **ENTRY,
    "number": "MR-AAAA-BBBB-CCCC",
    "account_id": SARA["id"],
    "status": "approved",
    "category": "consultant",
    "valid_from": "2026-11-25T10:00:00Z",
    "renewal_opens_at": "2028-08-27T10:00:00Z",
    "renewals": 0,
    "cpd_hours_counted": "12.50",
    "cpd_hours_required": "100",
    "open_renewal": None,
    "qualification": {"degree": "MBBS", "institution": "KSU", "country": "SA", "year": 2012},
    "updates": [],
}
RETURNED = {
    "number": "MR-AAAA-BBBB-CCCC",
    "kind": "registration",
    "status": "returned",
    "category": "consultant",
    "applied_category": "consultant",
    "specialty": "Cardiology",
    "qualification": {"degree": "MBBS", "institution": "KSU", "country": "SA", "year": 2012},
    "dataflow_reference": "DF-1",
    "account_id": "acct-sara",
    "membership_number": None,
    "submitted_at": "2026-11-01T10:00:00Z",
    "returned": {
        "reason": "The passport scan is cut off.",
        "items": ["specialty", "qualification", "identity"],
        "returned_at": "2026-11-20T10:00:00Z",
        "correct_by": "2026-12-20T10:00:00Z",
    },
    "timeline": [{"status": "returned", "at": "2026-11-20T10:00:00Z", "by": "rev-1", "reason": "cut off"}],
}


class Card:
    """What `requests` gives for a streamed answer: the body in pieces, then closed."""

    def __init__(self, content: bytes):
        self.content, self.closed = content, False

    def iter_content(self, size):
        return iter([self.content[:5], self.content[5:]])

    def close(self):
        self.closed = True


class LicenceApplications(FakeApplications):
    def __init__(self):
        self.sent: list[tuple] = []
        self.register_answer: dict | ApiError = ENTRY
        self.renewal_answer: dict | ApiError = {"number": "MR-RRRR-BBBB-CCCC", "status": "draft"}
        self.card_answer = Card(b"%PDF-1.4 the card")

    def _answer(self, answer):
        if isinstance(answer, ApiError):
            raise answer
        return answer

    def register_entry(self, membership_number):
        self.sent.append(("register_entry", membership_number))
        if membership_number != MEMBERSHIP:
            raise ApiError(404, "not_found", "no such membership")
        return self._answer(self.register_answer)

    def register_search(self, name, specialty, page):
        self.sent.append(("register_search", name, specialty, page))
        if len(name) < 2:
            raise ApiError(422, "validation_failed", "invalid", {"fields": {"name": ["Shorter than 2."]}})
        return {"items": [ENTRY], "page": page, "per_page": 20, "total": 45}

    def membership(self, token, membership_number):
        return dict(LICENCE)

    def cpd_activities(self, token, membership_number):
        return [
            {
                "id": "cpd-1",
                "title": "Radiation safety",
                "provider": "SCFHS",
                "date": "2026-11-20",
                "hours": "12.50",
                "status": "pending",
                "reason": None,
            }
        ]

    def cpd_documents(self, token, membership_number, activity_id):
        return []

    def record_cpd(self, token, membership_number, body):
        self.sent.append(("record_cpd", token, membership_number, body))
        return {"id": "cpd-2", "status": "pending", **body}

    def upload_cpd_certificate(self, token, membership_number, activity_id, upload):
        self.sent.append(("upload_cpd_certificate", membership_number, activity_id, upload.name, upload.content))
        return {"id": "doc-1", "kind": "cpd_certificate"}

    def open_renewal(self, token, membership_number):
        self.sent.append(("open_renewal", membership_number))
        return self._answer(self.renewal_answer)

    def card(self, token, membership_number):
        self.sent.append(("card", token, membership_number))
        return self.card_answer

    def read(self, token, number):
        return dict(RETURNED)

    def documents(self, token, number):
        return []

    def edit(self, token, number, changes):
        self.sent.append(("edit", number, changes))
        return {**RETURNED, **changes}

    def act(self, token, number, action, body=None):
        self.sent.append((action, number, body))
        return {**RETURNED, "status": "under_review"}


@pytest.fixture
def apps(services):
    services.applications = LicenceApplications()
    services.billing.invoices = lambda token, number: []
    services.billing.refunds = lambda token, number=None, status=None: []
    return services.applications


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_verify_page_shows_what_the_register_answers_and_a_friendly_not_found(client, apps, language):
    client.set_cookie("lang", language)
    page = client.get(f"/verify/{MEMBERSHIP}").get_data(as_text=True)
    assert "Sara Al-Harbi" in page and MEMBERSHIP in page and "Cardiology" in page
    assert {"ar": "استشاري", "en": "Consultant"}[language] in page
    assert {"ar": "تستحق التجديد", "en": "Due for renewal"}[language] in page
    assert {"ar": "2028", "en": "November 25, 2028"}[language] in page
    unknown = client.get("/verify/1111111111")
    friendly = {"ar": "لا يوجد ممارس مسجل", "en": "No practitioner is registered"}[language]
    assert unknown.status_code == 404 and friendly in unknown.get_data(as_text=True)


def test_too_many_look_ups_are_a_translated_page_asking_to_try_again_shortly(client, apps):
    apps.register_answer = ApiError(429, "too_many_requests", "slow down", {"retry_after_seconds": 1})
    answer = client.get(f"/verify/{MEMBERSHIP}")
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "1"
    assert "يُرجى المحاولة بعد قليل" in answer.get_data(as_text=True)
    assert client.get("/verify?name=Sara&specialty=Cardiology").status_code == 200  # the search is not limited here
    gateway = client.get("/verify/too-many-look-ups")  # where the gateway's own limit sends the visitor
    assert gateway.status_code == 429 and "يُرجى المحاولة بعد قليل" in gateway.get_data(as_text=True)


def test_the_register_is_searched_by_name_and_specialty_a_page_at_a_time(client, apps):
    client.set_cookie("lang", "en")
    page = client.get("/verify?name=Sara&specialty=Cardiology&page=2").get_data(as_text=True)
    assert apps.sent[-1] == ("register_search", "Sara", "Cardiology", 2)
    assert "45 practitioners found" in page and "Page 2 of 3" in page
    assert 'href="/verify?name=Sara&amp;specialty=Cardiology&amp;page=1"' in page
    assert 'href="/verify?name=Sara&amp;specialty=Cardiology&amp;page=3"' in page
    short = client.get("/verify?name=S&specialty=Cardiology")
    assert short.status_code == 422 and 'id="f-name-error"' in short.get_data(as_text=True)
    by_number = client.get("/verify?membership_number=١٢٣٤٥٦٧٨٩٧")  # typed on an Arabic keyboard
    assert by_number.status_code == 302 and by_number.headers["Location"] == f"/verify/{MEMBERSHIP}"


def test_the_card_is_streamed_from_the_api_with_the_holders_token_kept_on_the_server(client, apps):
    log_in(client)
    answer = client.get(f"/memberships/{MEMBERSHIP}/card")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="mumaris-card-{MEMBERSHIP}.pdf"'
    assert answer.get_data() == b"%PDF-1.4 the card"
    answer.close()
    assert apps.sent[-1] == ("card", TOKEN, MEMBERSHIP) and apps.card_answer.closed
    assert TOKEN not in client.get(f"/memberships/{MEMBERSHIP}").get_data(as_text=True)


def test_the_licence_shows_its_state_valid_until_and_cpd_hours_counted_against_required(client, apps):
    log_in(client)
    page = client.get(f"/memberships/{MEMBERSHIP}").get_data(as_text=True)
    assert 'data-licence-status="expiring"' in page and "November 25, 2028" in page
    assert '<span class="cpd-counted">12.5</span> of <span class="cpd-required">100</span> hours' in page
    assert "Radiation safety" in page and 'data-cpd-status="pending"' in page
    for name in ("title", "provider", "date", "hours", "file"):
        assert re.search(rf'<input id="f-{name}" name="{name}"', page), name
    assert f'action="/memberships/{MEMBERSHIP}/renewals"' in page


def test_a_cpd_activity_is_recorded_then_its_certificate_attached(client, apps):
    log_in(client)
    data = {
        "csrf_token": csrf_of(client, f"/memberships/{MEMBERSHIP}"),
        "title": " Radiation safety ",
        "provider": "SCFHS",
        "date": "2026-11-20",
        "hours": "١٢.٥",
        "file": (io.BytesIO(b"%PDF-1.4 certificate"), "certificate.pdf", "application/pdf"),
    }
    answer = client.post(f"/memberships/{MEMBERSHIP}/cpd", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/memberships/{MEMBERSHIP}"
    body = {"title": "Radiation safety", "provider": "SCFHS", "date": "2026-11-20", "hours": "12.5"}
    assert apps.sent[-2] == ("record_cpd", TOKEN, MEMBERSHIP, body)
    assert apps.sent[-1] == ("upload_cpd_certificate", MEMBERSHIP, "cpd-2", "certificate.pdf", b"%PDF-1.4 certificate")


def test_a_renewal_short_of_cpd_hours_says_how_many_are_counted_and_required(client, apps):
    apps.renewal_answer = ApiError(
        422,
        "cpd_hours_missing",
        "short",
        {"hours_counted": "12.50", "hours_required": "100", "hours_missing": "87.50"},
    )
    log_in(client)
    csrf = csrf_of(client, f"/memberships/{MEMBERSHIP}")
    short = client.post(f"/memberships/{MEMBERSHIP}/renewals", data={"csrf_token": csrf})
    assert short.status_code == 422
    assert "CPD hours counted: 12.5 of the 100 required." in short.get_data(as_text=True)
    apps.renewal_answer = {"number": "MR-RRRR-BBBB-CCCC", "status": "draft"}
    opened = client.post(f"/memberships/{MEMBERSHIP}/renewals", data={"csrf_token": csrf})
    assert opened.headers["Location"] == "/requests/MR-RRRR-BBBB-CCCC"


def test_a_returned_request_shows_what_to_correct_and_by_when_then_is_sent_again_without_fees(client, apps):
    log_in(client)
    page = client.get("/requests/MR-AAAA-BBBB-CCCC").get_data(as_text=True)
    assert "The passport scan is cut off." in page and "Dec 20, 2026" in page
    assert re.findall(r'data-return-item="([a-z_]+)"', page) == ["specialty", "qualification", "identity"]
    assert 'name="specialty"' in page and 'name="qualification.year"' in page and 'name="category"' not in page
    csrf = csrf_of(client, "/requests/MR-AAAA-BBBB-CCCC")
    form = {
        "csrf_token": csrf,
        "specialty": "Interventional cardiology",
        "qualification.degree": "MBBS",
        "qualification.institution": "King Saud University",
        "qualification.country": "SA",
        "qualification.year": "٢٠١٢",
    }
    client.post("/requests/MR-AAAA-BBBB-CCCC/edit", data=form)
    qualification = {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2012}
    assert apps.sent[-1] == (
        "edit",
        "MR-AAAA-BBBB-CCCC",
        {"specialty": "Interventional cardiology", "qualification": qualification},
    )
    sent = client.post("/requests/MR-AAAA-BBBB-CCCC/submit", data={"csrf_token": csrf})
    assert apps.sent[-1] == ("submit", "MR-AAAA-BBBB-CCCC", None)
    assert "No new fee is due." in client.get(sent.headers["Location"]).get_data(as_text=True)


@pytest.fixture
def reviewer(client, services, monkeypatch):
    monkeypatch.setitem(SARA, "roles", ["reviewer"])
    services.accounts.find = lambda token, **query: []
    services.billing.exemptions = lambda token, status=None: []
    log_in(client)
    return client


def test_a_reviewer_returns_a_request_naming_what_to_correct_and_classifies_it(reviewer, apps):
    csrf = csrf_of(reviewer, "/staff/requests/MR-AAAA-BBBB-CCCC")
    number = "MR-AAAA-BBBB-CCCC"
    form = {"csrf_token": csrf, "reason": " The scan is cut off. ", "items": ["identity", "specialty"]}
    reviewer.post(f"/staff/requests/{number}/return", data=form)
    assert apps.sent[-1] == ("return", number, {"reason": "The scan is cut off.", "items": ["identity", "specialty"]})
    reviewer.post(f"/staff/requests/{number}/classification", data={"csrf_token": csrf, "category": "specialist"})
    assert apps.sent[-1] == ("classification", number, {"category": "specialist"})


def test_a_refused_return_shows_its_error_beside_its_own_form_only(reviewer, apps):
    number = "MR-AAAA-BBBB-CCCC"
    under_review = {**RETURNED, "status": "under_review", "review_started_at": "2026-11-20T09:00:00Z"}
    apps.read = lambda token, n: under_review

    def refuse(token, n, action, body=None):
        raise ApiError(422, "validation_failed", "invalid", {"fields": {"items": ["name one"], "reason": ["empty"]}})

    apps.act = refuse
    csrf = csrf_of(reviewer, f"/staff/requests/{number}")
    answer = reviewer.post(f"/staff/requests/{number}/return", data={"csrf_token": csrf, "items": ["degree"]})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="items-error"' in page and 'id="f-reason-return-error"' in page
    assert 'id="f-reason-error"' not in page  # the decision's reason is not the one refused
    assert re.search(r'name="items" value="degree" checked', page)
