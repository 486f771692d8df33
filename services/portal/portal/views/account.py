"""The account page: the profile, a change of password (the current one required), and the
language (its form posts to /language, which also saves it in the account)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from mumaris_shared.events import utcnow

from ..adapters.services import ApiError
from ..forms import refused
from ..security import login_required, services, store, token

account = Blueprint("account", __name__)


def _page(**context):
    return render_template("account.html", me=services().accounts.me(token()), **context)


@account.get("/account")
@login_required
def show():
    return _page(form={}, errors={})


@account.post("/account/password")
@login_required
def change_password():
    form = request.form
    try:
        answer = services().accounts.change_password(
            token(), form.get("current_password", ""), form.get("password", "")
        )
    except ApiError as error:
        if error.status >= 500 or error.status == 401:
            raise
        return refused("account.html", error, form, me=services().accounts.me(token()))
    session_id = session["sid"]
    store().end_all(account_id=g.person.account_id, but=session_id)
    store().renew(session_id, answer["access_token"], utcnow() + timedelta(seconds=answer["expires_in"]))
    flash(_("Your password is changed. Your other sessions have ended."), "success")
    return redirect(url_for("account.show"))
