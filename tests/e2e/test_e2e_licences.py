"""The licence's life through the gateway, with durations compressed to seconds: approval →
expiring → reminder → renewal with CPD hours and a certificate → paid → approved → a new expiry,
beside a licence that lapses; a return for corrections answered and one not; documents refused;
the card; the public register and its rate limit."""

import subprocess
import uuid

import pytest
import requests

from mumaris_testing import wait_until

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n% scanned\n"  # what Gateway.upload sends
COMPRESSED = {
    "LICENCE_VALIDITY": "PT60S",
    "LICENCE_RENEWAL_WINDOW": "PT45S",
    "LICENCE_REMINDERS": "PT45S,PT5S",
    "APPLICATIONS_CORRECTION_DEADLINE": "PT15S",
}


@pytest.fixture(scope="module")
def licences(start_another_platform, gateway_for):
    with start_another_platform(**COMPRESSED) as platform:
        yield gateway_for(platform)


def _paid(gateway, token, number):
    for invoice in gateway.invoices(token, number).values():
        gateway.pay(token, invoice["id"], "mada")
    gateway.status_becomes(token, number, "under_review")


def _taken(gateway, reviewer, number, verify=True):
    assert gateway.call("POST", f"/api/applications/v1/applications/{number}/review", token=reviewer).status_code == 200
    if verify:
        gateway.verify(reviewer, number)


def _approved(gateway, reviewer, number):
    approved = gateway.call(
        "POST", f"/api/applications/v1/applications/{number}/decision", token=reviewer, json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    return approved.json()


def _licence(gateway, token, membership_number):
    response = gateway.call("GET", f"/api/applications/v1/memberships/{membership_number}", token=token)
    assert response.status_code == 200, response.text
    return response.json()


def _licence_becomes(gateway, token, membership_number, status, timeout=90):
    wait_until(lambda: _licence(gateway, token, membership_number)["licence_status"] == status, timeout, 0.5)
    return _licence(gateway, token, membership_number)


def test_a_licence_is_renewed_with_cpd_hours_and_another_lapses(licences):
    gateway = licences
    holder, token = gateway.active_account(language="ar")
    lapsing, lapsing_token = gateway.active_account(language="en")
    _email, reviewer = gateway.staff("reviewer")

    numbers = [
        gateway.new_request(token, category="technician"),
        gateway.new_request(lapsing_token, category="technician"),
    ]
    for owner_token, number in zip((token, lapsing_token), numbers, strict=True):
        _paid(gateway, owner_token, number)
        _taken(gateway, reviewer, number)
    membership_number = _approved(gateway, reviewer, numbers[0])["membership_number"]
    lapsing_number = _approved(gateway, reviewer, numbers[1])["membership_number"]
    first = _licence(gateway, token, membership_number)
    assert first["licence_status"] == "active" and first["cpd_hours_required"] == "30"

    # the renewal window opens: expiring, and the reminder in the holder's language (Arabic)
    _licence_becomes(gateway, token, membership_number, "expiring")
    gateway.mail_about(holder["email"], f"ينتهي ترخيصك رقم {membership_number}")
    short = gateway.call("POST", f"/api/applications/v1/memberships/{membership_number}/renewals", token=token)
    assert gateway.expect_error(short, 422, "cpd_hours_missing")["details"]["hours_required"] == "30"

    # CPD hours with a certificate, then the renewal: sent, paid and approved like the first request
    today = first["valid_from"][:10]
    activity = gateway.call(
        "POST",
        f"/api/applications/v1/memberships/{membership_number}/cpd",
        token=token,
        json={"title": "Radiation safety", "provider": "SCFHS", "date": today, "hours": "30"},
    )
    assert activity.status_code == 201, activity.text
    certificate = gateway.upload(
        token,
        f"/api/applications/v1/memberships/{membership_number}/cpd/{activity.json()['id']}/documents",
        "cpd_certificate",
    )
    assert certificate.status_code == 201, certificate.text
    renewal = gateway.call("POST", f"/api/applications/v1/memberships/{membership_number}/renewals", token=token)
    assert renewal.status_code == 201, renewal.text
    assert (renewal.json()["status"], renewal.json()["kind"]) == ("draft", "renewal")
    number = renewal.json()["number"]
    assert gateway.upload(token, f"/api/applications/v1/applications/{number}/documents", "identity").status_code == 201
    assert gateway.call("POST", f"/api/applications/v1/applications/{number}/submit", token=token).status_code == 200
    invoices = gateway.invoices(token, number)
    assert set(invoices) == {"administrative", "renewal"}
    _paid(gateway, token, number)
    _taken(gateway, reviewer, number, verify=False)  # the licence's qualification was verified
    approved = _approved(gateway, reviewer, number)
    assert approved["status"] == "approved"
    renewed = _licence(gateway, token, membership_number)
    assert renewed["renewals"] == 1 and renewed["valid_until"] > first["valid_until"]
    assert renewed["licence_status"] in ("active", "expiring")  # the compressed window is most of a minute

    # beside it, the licence nobody renewed lapses, and its holder hears of it once
    _licence_becomes(gateway, lapsing_token, lapsing_number, "expired")
    gateway.mail_about(lapsing["email"], f"Your licence {lapsing_number} has expired")
    assert len(gateway.mails_about(lapsing["email"], f"Your licence {lapsing_number} has expired")) == 1
    register = gateway.call("GET", f"/api/applications/v1/register/{lapsing_number}").json()
    assert register["licence_status"] == "expired"


def test_a_return_answered_is_reviewed_again_and_one_not_answered_is_cancelled(licences):
    gateway = licences
    person, token = gateway.active_account()
    _email, reviewer = gateway.staff("reviewer")
    answered, ignored = (
        gateway.new_request(token, category="technician"),
        gateway.new_request(token, category="technician"),
    )
    for number in (answered, ignored):
        _paid(gateway, token, number)
        _taken(gateway, reviewer, number, verify=False)
        returned = gateway.call(
            "POST",
            f"/api/applications/v1/applications/{number}/return",
            token=reviewer,
            json={"reason": "The passport scan is cut off.", "items": ["identity"]},
        )
        assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text
        gateway.mail_about(person["email"], f"Request {number} returned for corrections")

    assert (
        gateway.upload(token, f"/api/applications/v1/applications/{answered}/documents", "identity").status_code == 201
    )
    again = gateway.call("POST", f"/api/applications/v1/applications/{answered}/submit", token=token)
    assert again.status_code == 200 and again.json()["status"] == "under_review", again.text
    assert len(gateway.invoices(token, answered)) == 2  # no new fees

    cancelled = gateway.status_becomes(token, ignored, "cancelled", timeout=60)
    assert cancelled["timeline"][-1]["reason"] == "correction_deadline_passed"
    gateway.mail_about(person["email"], f"Request {ignored} cancelled: it was not sent again")
    assert gateway.call("GET", f"/api/applications/v1/applications/{answered}", token=token).json()["status"] == (
        "under_review"
    )


def test_bad_uploads_are_refused_and_documents_are_read_through_short_lived_links(licences):
    gateway = licences
    _person, token = gateway.active_account()
    _other, other_token = gateway.active_account()
    number = gateway.new_request(token, submit=False)
    path = f"/api/applications/v1/applications/{number}/documents"
    gateway.expect_error(
        gateway.upload(token, path, "degree", b"GIF89a...", "degree.pdf"), 422, "unsupported_file_type"
    )
    too_big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    gateway.expect_error(gateway.upload(token, path, "degree", too_big), 422, "file_too_large")
    gateway.expect_error(gateway.upload(other_token, path, "degree"), 404, "not_found")
    uploaded = gateway.upload(token, path, "degree")
    assert uploaded.status_code == 201 and uploaded.json()["content_type"] == "application/pdf"
    [listed] = gateway.call("GET", path, token=token).json()
    assert requests.get(listed["url"], timeout=30).content == PDF  # no token: the link is the permission
    forged = listed["url"].replace("signature=", "signature=f")
    assert requests.get(forged, timeout=30).status_code == 403


def test_the_card_and_the_public_register(licences, tmp_path):
    gateway = licences
    person, token = gateway.active_account(language="en")
    _email, reviewer = gateway.staff("reviewer")
    number = gateway.new_request(token, category="technician")
    _paid(gateway, token, number)
    _taken(gateway, reviewer, number)
    membership_number = _approved(gateway, reviewer, number)["membership_number"]

    card = gateway.call("GET", f"/api/applications/v1/memberships/{membership_number}/card", token=token)
    assert card.status_code == 200 and card.headers["Content-Type"] == "application/pdf"
    (tmp_path / "card.pdf").write_bytes(card.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "card.pdf"), "-"], capture_output=True, text=True).stdout
    assert membership_number in text

    entry = gateway.call("GET", f"/api/applications/v1/register/{membership_number}")
    assert entry.status_code == 200
    assert set(entry.json()) == {
        "membership_number",
        "full_name",
        "classification",
        "specialty",
        "licence_status",
        "valid_until",
    }
    assert entry.json()["full_name"] == person["full_name"]
    name = person["full_name"].split()[-1]
    page = gateway.call("GET", f"/api/applications/v1/register?name={name}&specialty=cardiology&per_page=1")
    assert page.status_code == 200 and page.json()["per_page"] == 1 and page.json()["total"] >= 1

    answers = [
        gateway.call("GET", f"/api/applications/v1/register/{uuid.uuid4().int % 10**10:010d}") for _ in range(40)
    ]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    gateway.expect_error(limited[0], 429, "too_many_requests")
