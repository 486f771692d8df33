"""Languages: Arabic (right to left) by default, English one click away. The choice is a cookie,
and for a person logged in also their account's language (changed through accounts). Amounts are
in SAR and dates in the page's language (Babel's formats)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from flask import Flask, request
from flask_babel import Babel, format_currency, format_date, format_datetime, get_locale

from mumaris_shared.contracts import LANGUAGES
from mumaris_shared.events import utcnow

DEFAULT_LANGUAGE = "ar"
LANGUAGE_COOKIE = "lang"
RIGHT_TO_LEFT = ("ar",)
ONE_YEAR = 365 * 24 * 3600


def chosen_language() -> str:
    """The cookie's language (set from the account's language when logging in), else Arabic."""
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def remember_language(response, chosen: str):
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR, httponly=True, samesite="Lax", secure=request.is_secure
    )
    return response


def language() -> str:
    return str(get_locale())


def direction() -> str:
    return "rtl" if language() in RIGHT_TO_LEFT else "ltr"


def _moment(value) -> datetime | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def money(halalas: int | None) -> str:
    """Integer halalas as Saudi riyals, written as the page's language writes them."""
    if halalas is None:
        return ""
    amount = Decimal(halalas) / 100
    if language() == "en":  # Babel's English pattern glues the code to the number: SAR1,600.00
        return format_currency(amount, "SAR", "¤\u00a0#,##0.00")
    return format_currency(amount, "SAR")


def date(value) -> str:
    moment = _moment(value)
    return "" if moment is None else format_date(moment, "long")


def date_time(value) -> str:
    moment = _moment(value)
    return "" if moment is None else format_datetime(moment, "medium")


def days_until(value, now: datetime | None = None) -> int | None:
    """Whole days left until `value`, counting a part of a day as a day; 0 once it has passed."""
    moment = _moment(value)
    if moment is None:
        return None
    return max(0, math.ceil((moment - (now or utcnow())).total_seconds() / 86400))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Riyadh")
    Babel(app, locale_selector=chosen_language)
    app.jinja_env.filters.update(money=money, date=date, date_time=date_time)
    app.jinja_env.globals.update(language=language, direction=direction, days_until=days_until, LANGUAGES=LANGUAGES)
