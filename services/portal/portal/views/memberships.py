"""The holder's membership: the licence (its state, valid-until date and CPD hours counted against
those required), CPD activities recorded with an optional certificate, a renewal request opened
(then sent and paid on the request's pages like any request), the registration card, and the data
update (R11), whose new data goes to a reviewer like a request."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mumaris_shared.auth import APPLICANT
from mumaris_shared.identity import ascii_digits

from ..adapters.services import ApiError, Upload
from ..forms import kept, refused, update_changes
from ..messages import error_message, field_errors
from ..security import roles_required, services, token

memberships = Blueprint("memberships", __name__)

CPD_FIELDS = ("title", "provider", "date", "hours")


def licence_page(membership_number: str, error: ApiError | None = None, failed: str | None = None):
    """The licence with its CPD activities (each with its certificates); with `error`, the form that
    failed (`failed`: "cpd", "renewal" or an activity's id) is shown again with the error beside it."""
    apps = services().applications
    membership = apps.membership(token(), membership_number)
    activities = [
        {**activity, "documents": apps.cpd_documents(token(), membership_number, activity["id"])}
        for activity in apps.cpd_activities(token(), membership_number)
    ]
    page = render_template(
        "licence.html",
        membership=membership,
        activities=activities,
        form=kept(request.form) if error is not None else {},
        errors=field_errors(error) if error is not None else {},
        error=error_message(error) if error is not None else None,
        failed=failed,
    )
    return page, (error.status if error is not None else 200)


def _refusal(error: ApiError) -> bool:
    """A refusal to show beside the form; anything else goes to the error pages."""
    return error.status < 500 and error.status not in (401, 404)


@memberships.get("/memberships/<membership_number>")
@roles_required(APPLICANT)
def licence(membership_number):
    return licence_page(membership_number)


@memberships.post("/memberships/<membership_number>/cpd")
@roles_required(APPLICANT)
def record_cpd(membership_number):
    """A CPD activity and, when one is chosen, its certificate (a second call: the activity stays
    recorded if the file is refused, and another file can be attached to it)."""
    body = {name: request.form.get(name, "").strip() for name in CPD_FIELDS}
    body["hours"] = ascii_digits(body["hours"])
    certificate = Upload.of(request.files.get("file"))
    apps = services().applications
    try:
        activity = apps.record_cpd(token(), membership_number, body)
    except ApiError as error:
        if not _refusal(error):
            raise
        return licence_page(membership_number, error, "cpd")
    if certificate.chosen:
        try:
            apps.upload_cpd_certificate(token(), membership_number, activity["id"], certificate)
        except ApiError as error:
            if not _refusal(error):
                raise
            refusal = error_message(error)
            flash(_("Your activity is recorded, but its certificate was refused: %(why)s", why=refusal), "error")
            return redirect(url_for("memberships.licence", membership_number=membership_number))
    flash(_("Your CPD activity is recorded. A reviewer will check it."), "success")
    return redirect(url_for("memberships.licence", membership_number=membership_number))


@memberships.post("/memberships/<membership_number>/cpd/<activity_id>/certificate")
@roles_required(APPLICANT)
def attach_certificate(membership_number, activity_id):
    certificate = Upload.of(request.files.get("file"))
    try:
        services().applications.upload_cpd_certificate(token(), membership_number, activity_id, certificate)
    except ApiError as error:
        if not _refusal(error):
            raise
        return licence_page(membership_number, error, activity_id)
    flash(_("The certificate is attached to your activity."), "success")
    return redirect(url_for("memberships.licence", membership_number=membership_number))


@memberships.post("/memberships/<membership_number>/renewals")
@roles_required(APPLICANT)
def open_renewal(membership_number):
    """A renewal request, saved as a draft: it is then sent and paid on its page like any request."""
    try:
        renewal = services().applications.open_renewal(token(), membership_number)
    except ApiError as error:
        if not _refusal(error):
            raise
        return licence_page(membership_number, error, "renewal")
    flash(_("Your renewal request is saved as a draft. Attach what it needs, then confirm and send it."), "success")
    return redirect(url_for("requests.detail", number=renewal["number"]))


@memberships.get("/memberships/<membership_number>/card")
@roles_required(APPLICANT)
def card(membership_number):
    """The registration card: fetched from applications with the holder's token (which never reaches
    the browser) and streamed on as it arrives."""
    upstream = services().applications.card(token(), membership_number)
    filename = "mumaris-card-" + "".join(c for c in membership_number if c.isdigit()) + ".pdf"
    response = Response(
        upstream.iter_content(64 * 1024),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"},
    )
    response.call_on_close(upstream.close)
    return response


@memberships.route("/memberships/<membership_number>/update", methods=["GET", "POST"])
@roles_required(APPLICANT)
def update(membership_number):
    current = services().applications.membership(token(), membership_number)
    if request.method == "GET":
        return render_template("membership_update.html", membership=current, form={}, errors={})
    changes = update_changes(request.form, current)
    try:
        services().applications.submit_update(token(), membership_number, changes)
    except ApiError as error:
        if not _refusal(error):
            raise
        return refused("membership_update.html", error, request.form, membership=current)
    flash(_("Your update is sent. A reviewer will check it; your membership stays valid meanwhile."), "success")
    return redirect(url_for("requests.detail", number=current["number"]))
