"""How values read in an e-mail, in Arabic or English: money, dates and times, counts of minutes,
hours and days, and shares. Pure, and the only place where these are written: the templates use
them as filters (`emails.py` registers them); names and rules are worded in `wording.py`.

Money travels in integer halalas (100 to the riyal) and is written with two decimals and thousands
separators: "1,250.00 ر.س" in Arabic, "SAR 1,250.00" in English. Instants travel as ISO 8601 (UTC)
and are written as the recipient's clock in Saudi Arabia shows them (Asia/Riyadh), with the weekday,
the Gregorian month by name and a 12-hour time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from mumaris_shared.config import parse_duration  # the ISO 8601 durations every setting and event uses

RIYADH = ZoneInfo("Asia/Riyadh")

# --- Money --------------------------------------------------------------------------------------------


def money(halalas: int, language: str) -> str:
    """An amount in halalas as a price: `money(20000, "ar") == "200.00 ر.س"`, `"SAR 200.00"` in English."""
    if isinstance(halalas, bool) or not isinstance(halalas, int):
        raise TypeError(f"an amount is an integer number of halalas, not {halalas!r}")
    sign = "-" if halalas < 0 else ""
    riyals, rest = divmod(abs(halalas), 100)
    number = f"{sign}{riyals:,}.{rest:02d}"
    return f"{number} ر.س" if language == "ar" else f"SAR {number}"


# --- Dates and times ----------------------------------------------------------------------------------
_WEEKDAYS = {
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def in_riyadh(instant: str | datetime) -> datetime:
    """An ISO 8601 instant (a trailing Z or an offset; none means UTC) on the clock in Riyadh."""
    moment = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(RIYADH)


def date(instant: str | datetime, language: str) -> str:
    """The day, in Riyadh: "الخميس 24 ديسمبر 2026", "Thursday 24 December 2026"."""
    local = in_riyadh(instant)
    names = _WEEKDAYS.get(language, _WEEKDAYS["en"]), _MONTHS.get(language, _MONTHS["en"])
    return f"{names[0][local.weekday()]} {local.day} {names[1][local.month - 1]} {local.year}"


def date_time(instant: str | datetime, language: str) -> str:
    """The day and the time, in Riyadh, saying so: "الخميس 24 ديسمبر 2026، الساعة 11:59 مساءً بتوقيت
    الرياض", "Thursday 24 December 2026 at 11:59 PM Riyadh time"."""
    local = in_riyadh(instant)
    hour = local.hour % 12 or 12
    if language == "ar":
        period = "صباحًا" if local.hour < 12 else "ظهرًا" if local.hour == 12 else "مساءً"
        return f"{date(local, language)}، الساعة {hour}:{local.minute:02d} {period} بتوقيت الرياض"
    period = "AM" if local.hour < 12 else "PM"
    return f"{date(local, language)} at {hour}:{local.minute:02d} {period} Riyadh time"


# --- Counts -------------------------------------------------------------------------------------------
# Arabic counts: 1 and 2 have their own forms, 3-10 take the plural, 11 and above the singular
# (written as the accusative after "بعد" or "لمدة", which is how the templates use them).
_ARABIC_COUNTS = {
    "minute": ("دقيقة واحدة", "دقيقتين", "دقائق", "دقيقة"),
    "hour": ("ساعة واحدة", "ساعتين", "ساعات", "ساعة"),
    "day": ("يوم واحد", "يومين", "أيام", "يومًا"),
}


def count(number: int, unit: str, language: str) -> str:
    """`number` minutes, hours or days as written in running text ("7 أيام", "1 day")."""
    if language == "ar":
        one, two, few, many = _ARABIC_COUNTS[unit]
        if number == 1:
            return one
        if number == 2:
            return two
        return f"{number} {few}" if 3 <= number <= 10 else f"{number} {many}"
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def cpd_hours(hours: str | Decimal, language: str) -> str:
    """Hours of continuing professional development, as events carry them ("7.5"): "7.5 hours",
    "7.5 ساعة"; whole hours are counted as the language counts them."""
    value = Decimal(str(hours))
    if value == value.to_integral_value():
        return count(int(value), "hour", language)
    written = f"{value:f}".rstrip("0").rstrip(".")
    return f"{written} ساعة" if language == "ar" else f"{written} hours"


def minutes(number: int, language: str) -> str:
    """A number of minutes as written in running text ("10 دقائق", "1 minute")."""
    return count(number, "minute", language)


def time_left(duration: str | timedelta, language: str) -> str:
    """How long is left (an ISO 8601 duration, like `before_deadline` in a reminder), in the largest
    whole unit: "P7D" is "7 أيام" / "7 days", "PT3H" "3 hours";
    under a minute still reads "1 minute" (a reminder never says nothing is left)."""
    left = parse_duration(duration) if isinstance(duration, str) else duration
    seconds = int(left.total_seconds())
    if seconds >= 86400:
        return count(seconds // 86400, "day", language)
    if seconds >= 3600:
        return count(seconds // 3600, "hour", language)
    return count(max(seconds // 60, 1), "minute", language)


# --- Shares -------------------------------------------------------------------------------------------
def percent(share: str | Decimal) -> str:
    """A share (0..1, as events carry it: "0.5") as a percentage: "50%", "33.3%"."""
    written = f"{Decimal(str(share)) * 100:f}"
    if "." in written:
        written = written.rstrip("0").rstrip(".")
    return written + "%"
