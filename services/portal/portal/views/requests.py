"""The practitioner's requests: the list, a new one (its fees shown before it is sent), and one
request with its documents, timeline, invoices, payment, exemption claim, withdrawal (its refund
previewed by billing first) and refunds; a request returned for corrections is corrected and sent
again here, and a renewal is sent and paid here like any request."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mumaris_shared.auth import APPLICANT
from mumaris_shared.contracts import CATEGORIES

from ..adapters.services import ApiError, Upload
from ..forms import edit_body, kept, refused, request_body
from ..labels import CLOSED, label
from ..messages import error_message, field_errors
from ..security import roles_required, services, token

requests_ = Blueprint("requests", __name__)

# What an applicant attaches to a request (applications says which its kind and category need).
UPLOADABLE = ("degree", "identity", "specialty_certificate", "exemption_proof", "supporting")


def _fee_schedule(kind: str = "registration") -> dict[str, dict]:
    return {row["category"]: row["fees"] for row in services().billing.fee_schedule(kind)}


@requests_.get("/requests")
@roles_required(APPLICANT)
def index():
    mine = services().applications.mine(token())
    deadlines = {account["application"]: account for account in services().billing.fee_accounts(token())}
    return render_template("requests.html", requests=mine, deadlines=deadlines)


@requests_.route("/requests/new", methods=["GET", "POST"])
@roles_required(APPLICANT)
def new():
    schedule = _fee_schedule()
    if request.method == "GET":
        chosen = request.args.get("category", "")
        return render_template("request_new.html", form={"category": chosen}, errors={}, schedule=schedule)
    body, errors = request_body(request.form)
    if errors:
        return refused("request_new.html", None, request.form, errors=errors, schedule=schedule)
    try:
        created = services().applications.create(token(), body)
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        return refused("request_new.html", error, request.form, schedule=schedule)
    flash(_("Your request is saved as a draft. Check it and its fees, then confirm and send it."), "success")
    return redirect(url_for("requests.detail", number=created["number"]))


def request_page(number: str, error: ApiError | None = None, template: str = "request.html", **context):
    """The request with what billing holds of it; with `error`, the form that failed is shown again."""
    apps, billing = services().applications, services().billing
    found = apps.read(token(), number)
    sent = found.get("submitted_at") is not None  # billing learns of a request once it is sent
    invoices = _held_by_billing(lambda: billing.invoices(token(), found["number"])) if sent else []
    refunds = _held_by_billing(lambda: billing.refunds(token(), found["number"])) if sent else []
    holds = found.get("membership_number")  # an approved registration: its licence
    page = render_template(
        template,
        request_=found,
        licence=apps.membership(token(), holds) if holds else None,
        documents=apps.documents(token(), found["number"]),
        document_kinds=[(kind, label("document_kind", kind)) for kind in UPLOADABLE],
        categories=[(category, label("category", category)) for category in CATEGORIES],
        invoices=invoices,
        refunds=refunds,
        fees=_fee_schedule(found.get("kind", "registration")).get(found["category"], {}) if not sent else {},
        closed=found["status"] in CLOSED,
        payment_key=str(uuid.uuid4()),  # one per form shown: sending it twice pays once
        sandbox=current_app.config["PORTAL_SANDBOX_PAYMENTS"],
        form=kept(request.form) if error is not None else {},
        errors=field_errors(error) if error is not None else {},
        error=error_message(error) if error is not None else None,
        **context,
    )
    return page, (error.status if error is not None else 200)


def _held_by_billing(listed: Callable[[], list[dict]]) -> list[dict]:
    """What billing holds of a sent request: nothing yet while billing has not heard of it (it
    learns by event, a moment after the request is sent, and answers 404 until then; the request
    itself was found, so it is the caller's). The page then says the invoices are being issued."""
    try:
        return listed()
    except ApiError as error:
        if error.status == 404:
            return []
        raise


@requests_.get("/requests/<number>")
@roles_required(APPLICANT)
def detail(number):
    return request_page(number)


def _acted(number: str, action, success, then=None):
    """Do `action`; then back to the request (or to `then(result)`) with `success` (or
    `success(result)`), or the request again with the error beside the form that failed."""
    try:
        result = action()
    except ApiError as error:
        if error.status >= 500 or error.status in (401, 404):
            raise
        return request_page(number, error)
    flash(success(result) if callable(success) else success, "success")
    return redirect(then(result) if then else url_for("requests.detail", number=number))


def _sent(result: dict) -> str:
    if result["status"] == "awaiting_payment":
        return _("Your request is sent. Its two fees are due: pay them below.")
    return _("Your request is sent again to the reviewer. No new fee is due.")  # a returned one


@requests_.post("/requests/<number>/submit")
@roles_required(APPLICANT)
def submit(number):
    """Confirm and send a draft, or send a request returned for corrections again."""
    return _acted(number, lambda: services().applications.act(token(), number, "submit"), _sent)


@requests_.post("/requests/<number>/edit")
@roles_required(APPLICANT)
def edit(number):
    """The corrections of a returned request: the fields the reviewer named."""
    return _acted(
        number,
        lambda: services().applications.edit(token(), number, edit_body(request.form)),
        _("Your corrections are saved. Send the request again when everything is corrected."),
    )


@requests_.post("/requests/<number>/documents")
@roles_required(APPLICANT)
def upload_document(number):
    upload = Upload.of(request.files.get("file"))
    return _acted(
        number,
        lambda: services().applications.upload_document(token(), number, request.form.get("kind", ""), upload),
        _("Your document is attached."),
    )


@requests_.post("/requests/<number>/documents/<document_id>/delete")
@roles_required(APPLICANT)
def delete_document(number, document_id):
    return _acted(
        number,
        lambda: services().applications.delete_document(token(), document_id),
        _("The document is removed."),
    )


@requests_.post("/requests/<number>/invoices/<invoice_id>/pay")
@roles_required(APPLICANT)
def pay(number, invoice_id):
    form = request.form
    return _acted(
        number,
        lambda: services().billing.pay(token(), invoice_id, form.get("method", ""), form.get("idempotency_key", "")),
        _("Your payment is started."),
        then=lambda payment: url_for("requests.payment", number=number, payment_id=payment["id"]),
    )


@requests_.get("/requests/<number>/payments/<payment_id>")
@roles_required(APPLICANT)
def payment(number, payment_id):
    """The payment's state; with the sandbox provider, its payer page, where one plays the bank."""
    found = services().billing.payment(token(), payment_id)
    return render_template(
        "payment.html", number=number, payment=found, sandbox=current_app.config["PORTAL_SANDBOX_PAYMENTS"]
    )


@requests_.post("/requests/<number>/payments/<payment_id>/complete")
@roles_required(APPLICANT)
def complete_payment(number, payment_id):
    outcome = request.form.get("outcome", "")
    try:
        services().billing.complete_sandbox_payment(token(), payment_id, outcome)
    except ApiError as error:
        if error.status >= 500 or error.status in (401, 404):
            raise
        flash(error_message(error), "error")
        return redirect(url_for("requests.payment", number=number, payment_id=payment_id))
    if outcome == "captured":
        flash(_("The bank confirmed your payment."), "success")
    else:
        flash(_("The bank declined the payment. You can try again."), "error")
    return redirect(url_for("requests.detail", number=number))


@requests_.post("/requests/<number>/exemption")
@roles_required(APPLICANT)
def claim_exemption(number):
    form = request.form
    return _acted(
        number,
        lambda: services().billing.claim_exemption(
            token(), number, form.get("kind", ""), form.get("evidence_reference", "")
        ),
        _("Your exemption claim is sent. A reviewer will check your proof."),
    )


@requests_.route("/requests/<number>/withdraw", methods=["GET", "POST"])
@roles_required(APPLICANT)
def withdraw(number):
    """First what billing's rules would refund if the request were withdrawn now, then the withdrawal."""
    if request.method == "GET":
        found = services().applications.read(token(), number)
        sent = found.get("submitted_at") is not None
        preview = services().billing.refund_preview(token(), found["number"]) if sent else None
        return render_template("withdraw.html", request_=found, preview=preview)
    return _acted(
        number,
        lambda: services().applications.act(token(), number, "withdraw"),
        _("Your request is withdrawn. Any refund is decided by the rules shown and paid back to you."),
    )
