"""The data update of a membership (R11): the new data goes to a reviewer, like a request."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mumaris_shared.auth import APPLICANT

from ..adapters.services import ApiError
from ..forms import refused, update_changes
from ..security import roles_required, services, token

memberships = Blueprint("memberships", __name__)


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
        if error.status >= 500 or error.status in (401, 404):
            raise
        return refused("membership_update.html", error, request.form, membership=current)
    flash(_("Your update is sent. A reviewer will check it; your membership stays valid meanwhile."), "success")
    return redirect(url_for("requests.detail", number=current["number"]))
