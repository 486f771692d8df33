"""Pages in both languages: the direction, SAR amounts and days left to pay, API errors beside
their field, the language switch saved in the account, the public status look-up."""

import pytest

from portal.adapters.services import ApiError
from portal.forms import update_changes

from .conftest import csrf_of, log_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("language, direction", [("ar", "rtl"), ("en", "ltr")])
def test_arabic_is_the_default_and_english_is_a_cookie_away(client, language, direction):
    if language == "en":
        client.set_cookie("lang", "en")
    page = client.get("/").get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in page


def test_the_requests_list_shows_status_next_step_and_days_left_in_the_page_language(client):
    log_in(client)
    english = client.get("/requests").get_data(as_text=True)
    assert "MR-AAAA-BBBB-CCCC" in english and "Awaiting payment" in english and "Pay both fees" in english
    assert "13 days" in english
    client.set_cookie("lang", "ar")
    arabic = client.get("/requests").get_data(as_text=True)
    assert "بانتظار السداد" in arabic and "13 يومًا" in arabic


def test_an_api_error_shows_its_translated_message_beside_its_field(client):
    data = {"csrf_token": csrf_of(client, "/activate"), "email": "sara@example.sa", "code": "123456"}
    client.set_cookie("lang", "ar")
    answer = client.post("/activate", data=data)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="f-code-error"' in page and "الرمز غير صحيح." in page and "المحاولات المتبقية: 3." in page


def test_the_language_switch_sets_the_cookie_and_the_accounts_language(client, services):
    log_in(client)
    answer = client.post(
        "/language", data={"csrf_token": csrf_of(client, "/account"), "language": "ar", "next": "/account"}
    )
    assert answer.headers["Location"] == "/account"
    assert any(c.startswith("lang=ar;") for c in answer.headers.getlist("Set-Cookie"))
    assert services.accounts.language_set == ["ar"]


def test_the_public_status_shows_status_and_last_change_only(client):
    client.set_cookie("lang", "en")
    found = client.get("/status?number=MR-AAAA-BBBB-CCCC").get_data(as_text=True)
    assert "Under review" in found
    unknown = client.get("/status?number=MR-0000-0000-0000")
    assert unknown.status_code == 404


def test_a_request_just_sent_says_its_invoices_are_being_issued_until_billing_knows_it(client, services):
    """billing learns of a sent request by event, a moment later, and answers 404 until then: the
    page is the request's, with its fees on their way, not a "not found"."""
    sent = {
        "number": "MR-AAAA-BBBB-CCCC",
        "kind": "registration",
        "status": "awaiting_payment",
        "category": "consultant",
        "specialty": "Cardiology",
        "renews": None,
        "membership_number": None,
        "account_id": "acct-sara",
        "qualification": {"degree": "MBBS", "institution": "King Saud University", "country": "SA", "year": 2012},
        "dataflow_reference": "DF-1",
        "created_at": "2026-11-26T09:00:00Z",
        "updated_at": "2026-11-26T10:00:00Z",
        "submitted_at": "2026-11-26T10:00:00Z",
        "review_started_at": None,
        "decided_at": None,
        "returned": None,
        "dataflow": None,
        "applied_category": "consultant",
        "classified_at": None,
        "fees_outstanding": False,
        "documents": [],
        "timeline": [{"status": "draft", "at": "2026-11-26T09:00:00Z", "by": "acct-sara", "reason": None}],
    }
    services.applications.read = lambda token, number: sent
    services.applications.documents = lambda token, number: []
    not_yet = ApiError(404, "not_found", "no fee account for this request")

    def unknown(*args):
        raise not_yet

    services.billing.invoices = services.billing.refunds = unknown
    log_in(client)
    client.set_cookie("lang", "en")
    answer = client.get("/requests/MR-AAAA-BBBB-CCCC")
    assert answer.status_code == 200
    assert "Your invoices are being issued: refresh this page in a moment." in answer.get_data(as_text=True)
    not_yet.status = 503  # billing down is not "not yet"
    assert client.get("/requests/MR-AAAA-BBBB-CCCC").status_code == 503


def test_a_data_update_sends_only_what_changed_with_groups_whole():
    current = {
        "email": "sara@example.sa",
        "mobile": "+966551234567",
        "address": None,
        "specialty": "Cardiology",
        "qualification": {"degree": "MBBS", "institution": "KSU", "country": "SA", "year": 2012},
        "employer": None,
    }
    form = {
        "email": "sara@example.sa",
        "mobile": "+966551234567",
        "address": "Riyadh",
        "specialty": "Cardiology",
        "qualification.degree": "MBBS",
        "qualification.institution": "KSU",
        "qualification.country": "SA",
        "qualification.year": "2013",
        "employer.name": "",
        "employer.city": "",
    }
    assert update_changes(form, current) == {
        "address": "Riyadh",
        "qualification": {"degree": "MBBS", "institution": "KSU", "country": "SA", "year": 2013},
    }
