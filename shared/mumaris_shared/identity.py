"""What a person gives us about themselves, in the one form every service stores and compares
(accounts at registration, applications in data updates)."""

import re

FULL_NAME_MAX = 200
_NATIONAL_ID = re.compile(r"^[12][0-9]{9}$")
_MOBILE = re.compile(r"^(?:05|\+?9665)([0-9]{8})$")
_SEPARATORS = re.compile(r"[\s\-()]")
# Arabic keyboards type Arabic-Indic (٠-٩) or Eastern Arabic-Indic (۰-۹) digits.
_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)


def ascii_digits(text: str) -> str:
    """Digits typed on an Arabic keyboard, as the ASCII digits they are."""
    return text.translate(_ASCII_DIGITS)


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased, so addresses differing only in case are one account. (RFC 5321
    lets a local part be case-sensitive; no mail provider people use treats it so, and people
    don't expect `Sara@` and `sara@` to be two accounts.)"""
    return email.strip().lower()


def normalise_full_name(name: str) -> str:
    """Inner runs of white space collapsed to one space; empty or longer than 200 characters refused."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("the full name is empty")
    if len(name) > FULL_NAME_MAX:
        raise ValueError(f"the full name is longer than {FULL_NAME_MAX} characters")
    return name


def normalise_national_id(national_id: str) -> str:
    """A Saudi national ID (starts with 1) or resident ID (starts with 2): ten digits. Its check
    digit is not verified: the Commission checks identity against its own records."""
    national_id = ascii_digits(national_id.strip())
    if not _NATIONAL_ID.match(national_id):
        raise ValueError("a national ID is 10 digits starting with 1 or 2")
    return national_id


def normalise_mobile(mobile: str) -> str:
    """A Saudi mobile number as written locally (05XXXXXXXX) or internationally (9665XXXXXXXX,
    +9665XXXXXXXX), spaces, dashes and brackets ignored, Arabic digits read as digits; stored in
    E.164: +9665XXXXXXXX."""
    match = _MOBILE.match(ascii_digits(_SEPARATORS.sub("", mobile)))
    if not match:
        raise ValueError("a Saudi mobile number is 05XXXXXXXX or +9665XXXXXXXX")
    return f"+9665{match.group(1)}"
