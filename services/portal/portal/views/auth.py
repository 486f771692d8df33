"""Registration, activation by e-mailed code, logging in and out, and a forgotten password."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mumaris_shared.auth import STAFF_ROLES

from ..adapters.services import ApiError
from ..forms import kept, refused
from ..i18n import language, remember_language
from ..security import log_in, log_out, safe_next, services, store

auth = Blueprint("auth", __name__)

REGISTRATION_FIELDS = ("full_name", "email", "password", "national_id", "mobile", "language")


@auth.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return render_template("register.html", form={"language": language()}, errors={})
    body = {name: request.form.get(name, "") for name in REGISTRATION_FIELDS}
    try:
        services().accounts.register(body)
    except ApiError as error:
        if error.status >= 500:
            raise
        return refused("register.html", error, request.form)
    flash(_("Your account is created. Enter the code we e-mailed to %(email)s.", email=body["email"]), "success")
    return redirect(url_for("auth.activate", email=body["email"]))


@auth.route("/activate", methods=["GET", "POST"])
def activate():
    if request.method == "GET":
        return render_template("activate.html", form={"email": request.args.get("email", "")}, errors={})
    email, code = request.form.get("email", ""), request.form.get("code", "")
    try:
        services().accounts.verify(email, code)
    except ApiError as error:
        if error.status >= 500:
            raise
        return refused("activate.html", error, request.form)
    flash(_("Your account is active. Log in to send your registration request."), "success")
    return redirect(url_for("auth.login", email=email))


@auth.post("/activate/resend")
def resend_code():
    email = request.form.get("email", "")
    try:
        services().accounts.resend_code(email)
    except ApiError as error:
        if error.status >= 500:
            raise
        wait = (error.details or {}).get("retry_after_seconds")
        return refused("activate.html", error, request.form, wait_seconds=wait)
    flash(_("A new code is on its way to %(email)s. The old one no longer works.", email=email), "success")
    return redirect(url_for("auth.activate", email=email))


@auth.route("/login", methods=["GET", "POST"])
def login():
    wanted = safe_next(request.values.get("next"), "")
    if request.method == "GET":
        if g.person is not None:
            return redirect(wanted or _home_of(g.person.roles))
        return render_template("login.html", form={"email": request.args.get("email", ""), "next": wanted}, errors={})
    email, password = request.form.get("email", ""), request.form.get("password", "")
    try:
        answer = services().accounts.login(email, password)
        me = services().accounts.me(answer["access_token"])
    except ApiError as error:
        if error.status >= 500:
            raise
        wait = (error.details or {}).get("retry_after_seconds")
        return refused("login.html", error, request.form, status=error.status, wait_seconds=wait)
    log_in(answer, me)
    return remember_language(redirect(wanted or _home_of(me["roles"])), me["language"])


def _home_of(roles) -> str:
    if "reviewer" in roles:
        return url_for("staff.queue")
    if any(role in STAFF_ROLES for role in roles):
        return url_for("staff.waivers")
    return url_for("requests.index")


@auth.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        return render_template("logout.html")
    log_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))


@auth.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    if request.method == "GET":
        return render_template("password_forgot.html", form={"email": request.args.get("email", "")}, errors={})
    email = request.form.get("email", "")
    try:
        services().accounts.forgot_password(email)
    except ApiError as error:
        if error.status >= 500:
            raise
        return refused("password_forgot.html", error, request.form)
    flash(
        _(
            "If an account uses %(email)s, a reset code is on its way there. It is valid for a few minutes.",
            email=email,
        ),
        "info",
    )
    return redirect(url_for("auth.reset_password", email=email))


@auth.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    if request.method == "GET":
        return render_template("password_reset.html", form={"email": request.args.get("email", "")}, errors={})
    form = request.form
    try:
        services().accounts.reset_password(form.get("email", ""), form.get("code", ""), form.get("password", ""))
    except ApiError as error:
        if error.status >= 500:
            raise
        return refused("password_reset.html", error, form)
    # accounts refuses the old tokens at once; the portal's own sessions of the account end here too
    store().end_all(email=form.get("email", "").strip().lower())
    if g.person is not None and g.person.email == form.get("email", "").strip().lower():
        log_out()
    flash(_("Your password is changed, and every session of your account has ended. Log in."), "success")
    return redirect(url_for("auth.login", **kept({"email": form.get("email", "")})))
