"""Pages for anyone: the home page, the public status look-up, and the language switch."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request

from mumaris_shared.contracts import LANGUAGES

from ..adapters.services import ApiError
from ..i18n import remember_language
from ..security import safe_next, services, token

public = Blueprint("public", __name__)


@public.get("/")
def home():
    return render_template("home.html")


@public.get("/status")
def status():
    """The public look-up (R10): the status and last change of a request, nothing personal."""
    number = request.args.get("number", "").strip()
    found, error = None, None
    if number:
        try:
            found = services().applications.public_status(number)
        except ApiError as refused:
            if refused.status != 404:
                raise
            error = refused
    return render_template("status.html", number=number, found=found, error=error), (404 if error else 200)


@public.post("/language")
def language():
    """The page's language: a cookie, and the account's language when logged in."""
    chosen = request.form.get("language")
    back = redirect(safe_next(request.form.get("next"), "/"))
    if chosen not in LANGUAGES:
        return back
    if g.person is not None:
        services().accounts.set_language(token(), chosen)
    return remember_language(back, chosen)
