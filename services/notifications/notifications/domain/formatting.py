"""How values read in an e-mail, in Arabic or English: money, dates and times, counts of minutes,
hours and days, the names of fee kinds, payment methods, exemptions and membership data fields, and
what each refund rule means. Pure, and the only place
where these are worded: the templates use them as filters (`emails.py` registers them).

Money travels in integer halalas (100 to the riyal) and is written with two decimals and thousands
separators: "1,250.00 ر.س" in Arabic, "SAR 1,250.00" in English. Instants travel as ISO 8601 (UTC)
and are written as the recipient's clock in Saudi Arabia shows them (Asia/Riyadh), with the weekday,
the Gregorian month by name and a 12-hour time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


# --- Names --------------------------------------------------------------------------------------------
_FEE_KINDS = {
    "ar": {"administrative": "الرسوم الإدارية", "service": "رسوم الخدمة"},
    "en": {"administrative": "administrative fee", "service": "service fee"},
}
_PAYMENT_METHODS = {
    "ar": {"sadad": "سداد", "mada": "مدى", "credit_card": "بطاقة ائتمانية", "apple_pay": "Apple Pay"},
    "en": {"sadad": "SADAD", "mada": "mada", "credit_card": "credit card", "apple_pay": "Apple Pay"},
}
_EXEMPTIONS = {
    "ar": {"martyr_relative": "إعفاء ذوي الشهداء"},
    "en": {"martyr_relative": "martyr's-relative exemption"},
}


def _language(language: str) -> str:
    return "ar" if language == "ar" else "en"


def fee_kind(kind: str, language: str) -> str:
    """ "الرسوم الإدارية" / "administrative fee" (a kind outside the contract is an error)."""
    return _FEE_KINDS[_language(language)][kind]


def fee_kinds(kinds: list[str], language: str) -> str:
    """Several fee kinds in one phrase: "الرسوم الإدارية ورسوم الخدمة", "the administrative fee and the
    service fee"."""
    if not kinds:
        raise ValueError("no fee kinds to name")
    if language == "ar":
        names = [fee_kind(kind, language) for kind in kinds]
        return names[0] if len(names) == 1 else "، ".join(names[:-1]) + " و" + names[-1]
    names = [f"the {fee_kind(kind, language)}" for kind in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def payment_method(method: str, language: str) -> str:
    return _PAYMENT_METHODS[_language(language)][method]


def exemption(kind: str, language: str) -> str:
    """The exemption's name; one this service does not know yet reads as a plain fee exemption."""
    generic = "الإعفاء من الرسوم" if language == "ar" else "fee exemption"
    return _EXEMPTIONS[_language(language)].get(kind, generic)


# --- Membership data ----------------------------------------------------------------------------------
# The fields a data update may change (applications' `domain/updates.UPDATABLE`, named in
# `applications.data_update_submitted` `fields_changed`).
_PROFILE_FIELDS = {
    "ar": {
        "email": "البريد الإلكتروني",
        "mobile": "رقم الجوال",
        "address": "العنوان",
        "specialty": "التخصص",
        "qualification": "المؤهل",
        "employer": "جهة العمل",
    },
    "en": {
        "email": "e-mail address",
        "mobile": "mobile number",
        "address": "address",
        "specialty": "specialty",
        "qualification": "qualification",
        "employer": "employer",
    },
}


def profile_field(name: str, language: str) -> str:
    """A membership data field as the recipient reads it; one this service does not know yet keeps its
    own name (an e-mail about a new field is still sent)."""
    return _PROFILE_FIELDS[_language(language)].get(name, name)


def profile_fields(names: list[str], language: str) -> str:
    """Several fields in one phrase: "البريد الإلكتروني ورقم الجوال", "e-mail address and mobile number"."""
    if not names:
        raise ValueError("no fields to name")
    words = [profile_field(name, language) for name in names]
    if len(words) == 1:
        return words[0]
    if language == "ar":
        return "، ".join(words[:-1]) + " و" + words[-1]
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- Refund rules -------------------------------------------------------------------------------------
# What the rule billing's refund policy names in `billing.refund_decided` means, said to the applicant
# (R7-R9): one sentence each, in each language. The figures are the Commission's published policy.
REFUND_RULES = {
    "withdrawn_within_window": {
        "ar": "سحبت طلبك خلال 30 يومًا من سداد رسومه وقبل بدء مراجعته، فيُرد إليك 50% من رسوم الخدمة.",
        "en": "You withdrew your request within 30 days of paying and before its review started, so 50% of the "
        "service fee is refunded.",
    },
    "refund_window_passed": {
        "ar": "مضى أكثر من 30 يومًا على سداد الرسوم، ولا تُرد الرسوم بعد انقضاء هذه المدة.",
        "en": "More than 30 days have passed since the fee was paid; fees are not refunded after that period.",
    },
    "administrative_fee_not_refundable": {
        "ar": "الرسوم الإدارية لا تُرد في أي حال.",
        "en": "The administrative fee is never refunded.",
    },
    "request_decided": {
        "ar": "صدر قرار في الطلب (بالموافقة أو بالرفض)، ولا تُرد الرسوم بعد صدور القرار.",
        "en": "The request has already been decided (approved or rejected); fees are not refunded after a decision.",
    },
    "review_started": {
        "ar": "بدأت مراجعة الطلب، ولا تُرد رسوم خدمة بدأ تقديمها.",
        "en": "The review of the request had already started; fees for a service already rendered are not refunded.",
    },
    "needs_review": {
        "ar": "مطالبتك لدى أحد المراجعين، ويُبت فيها خلال 15 يومًا من تقديمها.",
        "en": "Your claim is with a reviewer, and will be decided within 15 days of being made.",
    },
    "duplicate_payment": {
        "ar": "سُددت الفاتورة أكثر من مرة، فيُرد إليك المبلغ المكرر كاملًا.",
        "en": "The invoice was paid more than once, so the duplicate payment is refunded in full.",
    },
    "payment_after_cancellation": {
        "ar": "وصلت الدفعة بعد إلغاء الطلب، فتُرد إليك كاملة.",
        "en": "The payment arrived after the request had been cancelled, so it is refunded in full.",
    },
    "exemption_after_payment": {
        "ar": "أُعفيت من هذه الرسوم بعد سدادها، فيُرد إليك ما سددته كاملًا.",
        "en": "You were exempted from this fee after paying it, so the payment is refunded in full.",
    },
    # Not a policy rule: what billing records when a reviewer decided a `needs_review` claim.
    "reviewer_decision": {
        "ar": "راجع أحد المراجعين مطالبتك وبتّ فيها.",
        "en": "A reviewer examined your claim and decided it.",
    },
    "waiver_after_payment": {
        "ar": "صدر قرار بالإعفاء من هذه الرسوم بعد سدادها، فيُرد إليك ما سددته كاملًا.",
        "en": "The fee was waived by decision after you paid it, so the payment is refunded in full.",
    },
}


def refund_rule(rule: str, language: str) -> str:
    """What a refund rule means; a rule this service does not know yet reads as its own name, so the
    decision still reaches the applicant (and the missing wording shows)."""
    return REFUND_RULES.get(rule, {}).get(_language(language), rule)
