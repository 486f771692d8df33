"""The licence's life through the API, the handlers and the scheduler's jobs (with a clock the test
moves): documents and their links, returns for corrections, Dataflow and classification, the
licence, CPD hours and renewal, the card, the public register."""

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from applications.handlers import HANDLERS
from mumaris_shared.events import Event, isoformat

from .conftest import PDF

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _activity(service, membership_number, hours="30", as_=None):
    body = {"title": "Advanced cardiac life support", "provider": "SCFHS", "date": "2026-01-10", "hours": hours}
    return service.client.post(
        f"/v1/memberships/{membership_number}/cpd", json=body, headers=service.bearer(as_ or service.people.applicant)
    )


def _named(service, account_id, full_name):
    event = Event(
        type="accounts.account_registered",
        producer="accounts",
        data={"account_id": account_id, "email": f"{account_id}@example.sa", "full_name": full_name, "language": "ar"},
    )
    assert service.runtime.consumer(HANDLERS).handle(event)


# --- documents -------------------------------------------------------------------------------------------
def test_documents_are_checked_by_content_and_size_and_read_through_signed_links(service):
    people, number = service.people, service.draft()
    service.refused(
        422, "unsupported_file_type", lambda: service.upload(number, "degree", b"MZ\x90 not a pdf", name="x.pdf")
    )
    service.refused(
        422, "file_too_large", lambda: service.upload(number, "degree", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    )
    service.refused(404, "not_found", lambda: service.upload(number, "degree", as_=people.other_applicant))
    service.refused(422, "validation_failed", lambda: service.upload(number, "diploma"))

    uploaded = service.upload(number, "degree", PNG, name="degree.png")
    assert uploaded.status_code == 201, uploaded.json
    assert {k: uploaded.json[k] for k in ("kind", "content_type", "size")} == {
        "kind": "degree",
        "content_type": "image/png",
        "size": len(PNG),
    }
    assert service.get(f"/v1/applications/{number}/documents", people.other_applicant).status_code == 404
    [listed] = service.get(f"/v1/applications/{number}/documents", people.reviewer).json
    path = listed["url"].split("/api/applications", 1)[1]
    read = service.client.get(path)  # no token: the link is the permission
    assert read.status_code == 200 and read.data == PNG and read.mimetype == "image/png"
    assert service.client.get(path.replace("signature=", "signature=0")).status_code == 403
    service.clock.advance(timedelta(minutes=6))
    assert service.client.get(path).json["error"]["code"] == "link_expired"

    stored = list((service.service.settings.document_dir / number).iterdir())
    assert len(stored) == 1
    assert (
        service.client.delete(f"/v1/applications/{number}", headers=service.bearer(people.applicant)).status_code == 204
    )
    assert not (service.service.settings.document_dir / number).exists() or not any(
        (service.service.settings.document_dir / number).iterdir()
    )
    assert service.get(f"/v1/applications/{number}", people.applicant).status_code == 404


# --- returns for corrections ---------------------------------------------------------------------------
def test_a_return_answered_goes_back_to_review_without_new_fees(service):
    people, number = service.people, service.taken()
    returned = service.post(
        number, "return", people.reviewer, {"reason": "the degree scan is unreadable", "items": ["degree"]}
    )
    assert returned.status_code == 200 and returned.json["status"] == "returned", returned.json
    assert returned.json["returned"]["items"] == ["degree"]
    [event] = service.events("applications.application_returned")
    assert event["data"]["correct_by"] == isoformat(service.clock.now + 30 * DAY)

    edited = service.client.patch(
        f"/v1/applications/{number}", json={"specialty": "Cardiology"}, headers=service.bearer(people.applicant)
    )
    assert edited.status_code == 200 and edited.json["status"] == "returned"
    assert service.upload(number, "degree").status_code == 201
    again = service.post(number, "submit", people.applicant)
    assert again.status_code == 200 and again.json["status"] == "under_review", again.json
    assert len(service.events("applications.application_submitted")) == 1  # no new fees
    assert len(service.events("applications.application_resubmitted")) == 1
    service.clock.advance(31 * DAY)
    assert service.service.run_correction_deadlines() == 0  # answered: nothing to cancel


def test_a_return_not_answered_by_the_correction_deadline_is_cancelled(service):
    people, number = service.people, service.taken()
    assert service.post(number, "return", people.reviewer, {"reason": "r", "items": ["identity"]}).status_code == 200
    service.clock.advance(30 * DAY - timedelta(seconds=1))
    assert service.service.run_correction_deadlines() == 0
    service.clock.advance(timedelta(seconds=1))
    assert service.service.run_correction_deadlines() == 1
    assert service.service.run_correction_deadlines() == 0  # once
    assert service.get(f"/v1/applications/{number}", people.applicant).json["status"] == "cancelled"
    [cancelled] = service.events("applications.application_cancelled")
    assert cancelled["data"]["reason"] == "correction_deadline_passed"
    service.refused(409, "illegal_transition", lambda: service.post(number, "submit", people.applicant))


# --- classification --------------------------------------------------------------------------------------
def test_a_classification_with_a_fee_difference_holds_the_approval_until_billing_settles_it(service):
    people, number = service.people, service.verified()
    classified = service.post(number, "classification", people.reviewer, {"category": "specialist"})
    assert classified.status_code == 200, classified.json
    assert (classified.json["category"], classified.json["applied_category"]) == ("specialist", "consultant")
    assert classified.json["fees_outstanding"] is True
    [event] = service.events("applications.application_classified")
    assert (event["data"]["previous_category"], event["data"]["category"]) == ("consultant", "specialist")
    service.refused(
        409,
        "already_classified",
        lambda: service.post(number, "classification", people.reviewer, {"category": "resident"}),
    )
    service.refused(
        409, "fees_outstanding", lambda: service.post(number, "decision", people.reviewer, {"decision": "approve"})
    )
    assert service.billing("billing.fees_settled", number)
    approved = service.post(number, "decision", people.reviewer, {"decision": "approve"})
    assert approved.status_code == 200 and approved.json["category"] == "specialist"


# --- the licence, CPD hours and renewal -----------------------------------------------------------------
@pytest.mark.postgres
def test_a_licence_expires_in_two_years_is_reminded_and_renewed_with_its_cpd_hours(service):
    people = service.people
    _number, membership_number = service.membership()
    licence = service.get(f"/v1/memberships/{membership_number}", people.applicant).json
    assert licence["licence_status"] == "active"
    assert (licence["cpd_hours_counted"], licence["cpd_hours_required"]) == ("0", "100")
    [approved] = service.events("applications.application_approved")
    assert approved["data"]["valid_until"] == licence["valid_until"]

    refused = service.client.post(
        f"/v1/memberships/{membership_number}/renewals", headers=service.bearer(people.applicant)
    )
    assert refused.status_code == 409  # active: not yet

    days_left = (service.clock.now.replace(year=service.clock.now.year + 2) - service.clock.now).days
    service.clock.advance((days_left - 90) * DAY)
    assert service.service.run_licences() == 1 and service.service.run_licences() == 0
    [reminder] = service.events("applications.licence_reminder_due")
    assert (reminder["data"]["before_expiry"], reminder["data"]["licence_status"]) == ("P90D", "expiring")

    missing = service.client.post(
        f"/v1/memberships/{membership_number}/renewals", headers=service.bearer(people.applicant)
    )
    assert missing.status_code == 422 and missing.json["error"]["code"] == "cpd_hours_missing"
    assert missing.json["error"]["details"] == {"hours_counted": "0", "hours_required": "100", "hours_missing": "100"}

    activity_date = (service.clock.now - 30 * DAY).date().isoformat()
    for hours in ("60", "40"):
        body = {"title": "ACLS", "provider": "SCFHS", "date": activity_date, "hours": hours}
        recorded = service.client.post(
            f"/v1/memberships/{membership_number}/cpd", json=body, headers=service.bearer(people.applicant)
        )
        assert recorded.status_code == 201, recorded.json
    activity_id = recorded.json["id"]
    certificate = service.client.post(
        f"/v1/memberships/{membership_number}/cpd/{activity_id}/documents",
        data={"kind": "cpd_certificate", "file": (io.BytesIO(PDF), "acls.pdf")},
        headers=service.bearer(people.applicant),
        content_type="multipart/form-data",
    )
    assert certificate.status_code == 201, certificate.json
    decided = service.client.post(
        f"/v1/cpd/{activity_id}/decision", json={"decision": "approve"}, headers=service.bearer(people.reviewer)
    )
    assert decided.status_code == 200 and decided.json["status"] == "accepted"

    renewal = service.client.post(
        f"/v1/memberships/{membership_number}/renewals", headers=service.bearer(people.applicant)
    )
    assert renewal.status_code == 201, renewal.json
    assert (renewal.json["status"], renewal.json["kind"], renewal.json["renews"]) == (
        "draft",
        "renewal",
        membership_number,
    )
    number = renewal.json["number"]
    service.refused(
        409,
        "renewal_already_open",
        lambda: service.client.post(
            f"/v1/memberships/{membership_number}/renewals", headers=service.bearer(people.applicant)
        ),
    )
    service.with_documents(number, kinds=("identity",))
    assert service.post(number, "submit", people.applicant).status_code == 200
    [_first, submitted] = service.events("applications.application_submitted")
    assert submitted["data"]["kind"] == "renewal"
    assert service.billing("billing.fees_settled", number)
    assert service.post(number, "review", people.reviewer).status_code == 200
    approved = service.post(number, "decision", people.reviewer, {"decision": "approve"})
    assert approved.status_code == 200, approved.json
    renewed = service.get(f"/v1/memberships/{membership_number}", people.applicant).json
    assert renewed["licence_status"] == "active" and renewed["renewals"] == 1
    assert renewed["valid_until"] > licence["valid_until"]
    assert approved.json["membership_number"] is None  # the number stays with the licence's first request


@pytest.mark.postgres
def test_a_licence_not_renewed_lapses_to_expired_once(service):
    _number, membership_number = service.membership()
    service.clock.advance(3 * 365 * DAY)
    assert service.service.run_licences() == 1 and service.service.run_licences() == 0
    assert (
        service.get(f"/v1/memberships/{membership_number}", service.people.applicant).json["licence_status"]
        == "expired"
    )
    [expired] = service.events("applications.licence_expired")
    assert expired["data"]["membership_number"] == membership_number
    # missed while no scheduler ran: the reminders are not sent late
    assert service.events("applications.licence_reminder_due") == []


# --- the card and the public register ----------------------------------------------------------------------
def test_the_card_shows_the_membership_number_and_a_qr_code_of_the_verification_link(service, tmp_path):
    _named(service, service.people.applicant, "سارة الحربي")
    _number, membership_number = service.membership()
    assert service.get(f"/v1/memberships/{membership_number}/card", service.people.other_applicant).status_code == 404
    card = service.get(f"/v1/memberships/{membership_number}/card", service.people.applicant)
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(card.data)
    text = subprocess.run([shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert membership_number in text and "Consultant" in text
    subprocess.run(
        [shutil.which("pdftoppm"), "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / "card")], check=True
    )
    [code] = zxingcpp.read_barcodes(Image.open(tmp_path / "card.png"))
    assert code.text == f"{service.service.settings.public_url}/verify/{membership_number}"


@pytest.mark.postgres
def test_the_public_register_answers_the_listed_fields_and_nothing_more(service):
    _named(service, service.people.applicant, "Sara Al-Harbi")
    _number, membership_number = service.membership()
    entry = service.client.get(f"/v1/register/{membership_number}")
    assert entry.status_code == 200
    assert entry.json == {
        "membership_number": membership_number,
        "full_name": "Sara Al-Harbi",
        "classification": "consultant",
        "specialty": "Cardiology",
        "licence_status": "active",
        "valid_until": entry.json["valid_until"],
    }
    assert service.client.get("/v1/register/1234567897").status_code == 404
    found = service.client.get("/v1/register?name=al-harbi&specialty=cardiology&per_page=1")
    assert found.status_code == 200, found.json
    assert found.json["total"] == 1 and found.json["page"] == 1 and found.json["items"] == [entry.json]
    assert service.client.get("/v1/register?name=al-harbi&specialty=cardiology&page=2&per_page=1").json["items"] == []
    assert service.client.get("/v1/register?name=sara").status_code == 422  # a name needs a specialty
