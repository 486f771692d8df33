"""The public register, for anyone, without logging in: a practitioner by membership number (the
target of the registration card's QR code), or by name and specialty a page at a time. It shows
what applications' register answers and nothing more. The register is rate-limited: too many
look-ups are a page asking to try again shortly, never an error."""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, url_for

from mumaris_shared.identity import ascii_digits

from ..adapters.services import ApiError
from ..messages import error_message, field_errors
from ..security import services

verify = Blueprint("verify", __name__)

RETRY_AFTER_SECONDS = 1  # the gateway's limit lets a client address ask again within a second


def too_many_look_ups():
    page = render_template("verify_busy.html")
    return page, 429, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


@verify.get("/verify")
def search():
    """By membership number (on to its page), or by name and specialty, a page at a time."""
    membership_number = ascii_digits(request.args.get("membership_number", "")).replace(" ", "")
    if membership_number:
        return redirect(url_for("verify.entry", membership_number=membership_number))
    form = {name: request.args.get(name, "").strip() for name in ("name", "specialty")}
    page = max(1, request.args.get("page", 1, type=int))
    found, error = None, None
    if any(form.values()):
        try:
            found = services().applications.register_search(form["name"], form["specialty"], page)
        except ApiError as refused:
            if refused.status == 429:
                return too_many_look_ups()
            if refused.status >= 500:
                raise
            error = refused
    pages = math.ceil(found["total"] / found["per_page"]) if found else 0
    return render_template(
        "verify.html",
        form=form,
        found=found,
        pages=pages,
        errors=field_errors(error) if error else {},
        error=error_message(error) if error else None,
    ), (error.status if error else 200)


@verify.get("/verify/<membership_number>")
def entry(membership_number):
    """One practitioner: name, classification, specialty, licence state and valid-until date."""
    try:
        found = services().applications.register_entry(membership_number)
    except ApiError as refused:
        if refused.status == 429:
            return too_many_look_ups()
        if refused.status != 404:
            raise
        return render_template("verify_entry.html", membership_number=membership_number, found=None), 404
    return render_template("verify_entry.html", membership_number=membership_number, found=found)


@verify.get("/verify/too-many-look-ups")
def busy():
    """Where the gateway sends a client address that asked the register too often (its own limit)."""
    return too_many_look_ups()
