"""The Commission's staff, by role: the reviewers' queue (with search by request number, national
ID or name), one request across the services with take and decide, exemption claims, data
updates, refund claims; the secretary-general's waivers. Search by person is composed here:
accounts finds the accounts, applications narrows its queue to them."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mumaris_shared.auth import REVIEWER, SECRETARY_GENERAL, STAFF_ROLES
from mumaris_shared.identity import ascii_digits

from ..adapters.services import ApiError
from ..forms import kept
from ..messages import error_message, field_errors
from ..security import person, roles_required, services, token

staff = Blueprint("staff", __name__, url_prefix="/staff")

REQUEST_NUMBER = re.compile(r"^MR(-[0-9A-Z]{4}){3}$", re.IGNORECASE)
NATIONAL_ID = re.compile(r"^[0-9]{10}$")


def _people(account_ids) -> dict[str, dict]:
    """The accounts behind these ids, by id (one call to accounts)."""
    ids = sorted({account_id for account_id in account_ids if account_id})
    return {found["id"]: found for found in services().accounts.find(token(), ids=ids)} if ids else {}


def _page(template: str, error: ApiError | None = None, **context):
    """A staff page; with `error`, the form that failed is shown again with the error beside it."""
    answer = render_template(
        template,
        form=kept(request.form) if error is not None else {},
        errors=field_errors(error) if error is not None else {},
        error=error_message(error) if error is not None else None,
        **context,
    )
    return answer, (error.status if error is not None else 200)


def _acted(action, success: str, back: str, again):
    """Do `action`, then back to `back` with `success`; on a refusal, `again(error)` shows the page."""
    try:
        action()
    except ApiError as error:
        if error.status >= 500 or error.status in (401, 404):
            raise
        return again(error)
    flash(success, "success")
    return redirect(back)


def _decision(form) -> dict:
    return {"decision": form.get("decision", ""), "reason": form.get("reason", "").strip() or None}


# --- the reviewers' queue -------------------------------------------------------------------------
@staff.get("/queue")
@roles_required(REVIEWER)
def queue():
    """Oldest first. `q`: a request number opens it; ten digits are a national ID; else part of a name."""
    query = request.args.get("q", "").strip()
    accounts = None
    if query:
        if REQUEST_NUMBER.match(query):
            return redirect(url_for("staff.one_request", number=query.upper()))
        digits = ascii_digits(query)
        found = services().accounts.find(
            token(), **({"national_id": digits} if NATIONAL_ID.match(digits) else {"name": query})
        )
        accounts = [account["id"] for account in found]
    queued = services().applications.review_queue(token(), accounts) if accounts != [] else []
    entries = [entry for entry in queued if entry["kind"] == "application"]
    return render_template(
        "staff/queue.html", entries=entries, people=_people(e["account_id"] for e in entries), query=query
    )


# --- one request ------------------------------------------------------------------------------------
def _request_page(number: str, error: ApiError | None = None):
    apps, billing = services().applications, services().billing
    found = apps.read(token(), number)
    sent = found.get("submitted_at") is not None
    reviewer = person().has_role(REVIEWER)
    claims = billing.exemptions(token()) if sent and reviewer else []
    return _page(
        "staff/request.html",
        error,
        request_=found,
        documents=apps.documents(token(), found["number"]),
        applicant=_people([found["account_id"]]).get(found["account_id"]),
        invoices=billing.invoices(token(), found["number"]) if sent else [],
        refunds=billing.refunds(token(), found["number"]) if sent else [],
        exemptions=[claim for claim in claims if claim["application"] == found["number"]],
    )


@staff.get("/requests/<number>")
@roles_required(*STAFF_ROLES)
def one_request(number):
    return _request_page(number)


@staff.post("/requests/<number>/review")
@roles_required(REVIEWER)
def take(number):
    return _acted(
        lambda: services().applications.act(token(), number, "review"),
        _("You have taken this request: decide it when you are ready."),
        url_for("staff.one_request", number=number),
        lambda error: _request_page(number, error),
    )


@staff.post("/requests/<number>/dataflow")
@roles_required(REVIEWER)
def record_dataflow(number):
    body = {"outcome": request.form.get("outcome", ""), "note": request.form.get("note", "").strip() or None}
    return _acted(
        lambda: services().applications.act(token(), number, "dataflow", body),
        _("The Dataflow outcome is recorded."),
        url_for("staff.one_request", number=number),
        lambda error: _request_page(number, error),
    )


@staff.post("/requests/<number>/decision")
@roles_required(REVIEWER)
def decide(number):
    body = _decision(request.form)
    done = _("The request is approved: a membership number is issued.") if body["decision"] == "approve" else None
    return _acted(
        lambda: services().applications.act(token(), number, "decision", body),
        done or _("The request is rejected; the applicant is told why."),
        url_for("staff.one_request", number=number),
        lambda error: _request_page(number, error),
    )


# --- exemptions, data updates, refunds --------------------------------------------------------------
def _exemptions_page(error: ApiError | None = None):
    claims = services().billing.exemptions(token(), "pending")
    return _page("staff/exemptions.html", error, claims=claims, people=_people(c["account_id"] for c in claims))


@staff.get("/exemptions")
@roles_required(REVIEWER)
def exemptions():
    return _exemptions_page()


@staff.post("/exemptions/<exemption_id>/decision")
@roles_required(REVIEWER)
def decide_exemption(exemption_id):
    body = _decision(request.form)
    return _acted(
        lambda: services().billing.decide_exemption(token(), exemption_id, body["decision"], body["reason"]),
        _("The exemption claim is decided."),
        url_for("staff.exemptions"),
        _exemptions_page,
    )


def _updates_page(error: ApiError | None = None):
    apps = services().applications
    queued = [entry for entry in apps.review_queue(token()) if entry["kind"] == "data_update"]
    updates = [{**entry, "data_update": apps.update(token(), entry["update_id"])} for entry in queued]
    return _page("staff/updates.html", error, updates=updates, people=_people(u["account_id"] for u in updates))


@staff.get("/updates")
@roles_required(REVIEWER)
def updates():
    return _updates_page()


@staff.post("/updates/<update_id>/<any(review, decision):action>")
@roles_required(REVIEWER)
def act_on_update(update_id, action):
    body = _decision(request.form) if action == "decision" else None
    return _acted(
        lambda: services().applications.act_on_update(token(), update_id, action, body),
        _("You have taken this update.") if action == "review" else _("The data update is decided."),
        url_for("staff.updates"),
        _updates_page,
    )


def _refunds_page(error: ApiError | None = None):
    claims = services().billing.refunds(token(), status="pending_review")
    # escalated claims first, then the nearest decision limit
    claims.sort(key=lambda claim: (claim.get("escalated_at") is None, claim.get("decide_by") or ""))
    return _page("staff/refunds.html", error, claims=claims)


@staff.get("/refunds")
@roles_required(REVIEWER)
def refunds():
    return _refunds_page()


@staff.post("/refunds/<refund_id>/decision")
@roles_required(REVIEWER)
def decide_refund(refund_id):
    body = _decision(request.form)
    amount = request.form.get("amount_halalas", "").strip()  # typed in riyals, sent in halalas
    if body["decision"] == "approve" and amount:
        try:
            body["amount_halalas"] = round(float(ascii_digits(amount).replace(",", "")) * 100)
        except ValueError:
            body["amount_halalas"] = amount  # the API names the field it refuses
    return _acted(
        lambda: services().billing.decide_refund(token(), refund_id, body),
        _("The refund claim is decided."),
        url_for("staff.refunds"),
        _refunds_page,
    )


# --- the secretary-general ----------------------------------------------------------------------------
@staff.route("/waivers", methods=["GET", "POST"])
@roles_required(SECRETARY_GENERAL)
def waivers():
    """A waiver decision: the fees it names are waived for the request."""
    if request.method == "GET":
        form = {"application": request.args.get("application", "")}
        return render_template("staff/waivers.html", form=form, errors={}, error=None)
    form = request.form
    return _acted(
        lambda: services().billing.grant_waiver(
            token(), form.get("application", "").strip(), form.get("decision_number", ""), form.getlist("kinds")
        ),
        _("The waiver is recorded: the fees it names are waived."),
        url_for("staff.waivers"),
        lambda error: _page("staff/waivers.html", error),
    )
