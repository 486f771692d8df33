"""What a person gives us about themselves, in the one form every service stores and compares
(accounts at registration, applications in data updates).

Each rule first checks what was typed against its pattern (`*_PATTERN`: the same regular expression
the OpenAPI documents publish, so a client knows exactly what is accepted), then normalises it."""

import re

# Python's white space (str.isspace, re's \s), spelled out: other regular expression engines (those
# that generate or check data against the OpenAPI patterns) do not all agree on what \s means.
WHITE_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{WHITE_SPACE}]"  # a pattern: at least one character that is not white space
FULL_NAME_MAX = 200
# An account's id as accounts mints it (a UUID); short, so a URL naming a hundred of them stays short.
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,36}$"
FULL_NAME_PATTERN = NOT_BLANK
_DIGIT = "[0-9٠-٩۰-۹]"  # ASCII, Arabic-Indic or Eastern Arabic-Indic
_SEPARATOR = rf"[{WHITE_SPACE}\-()]*"
NATIONAL_ID_PATTERN = rf"^[{WHITE_SPACE}]*[12١٢۱۲]{_DIGIT}{{9}}[{WHITE_SPACE}]*$"
MOBILE_PATTERN = (
    rf"^{_SEPARATOR}(?:[0٠۰]{_SEPARATOR}[5٥۵]|(?:\+{_SEPARATOR})?[9٩۹]{_SEPARATOR}[6٦۶]{_SEPARATOR}[6٦۶]{_SEPARATOR}[5٥۵])"
    rf"(?:{_SEPARATOR}{_DIGIT}){{8}}{_SEPARATOR}$"
)
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
    """Inner runs of white space collapsed to one space; empty (or only white space) or longer than
    200 characters as typed refused."""
    if len(name) > FULL_NAME_MAX:
        raise ValueError(f"the full name is longer than {FULL_NAME_MAX} characters")
    name = " ".join(name.split())
    if not name:
        raise ValueError("the full name is empty")
    return name


def normalise_national_id(national_id: str) -> str:
    """A Saudi national ID (starts with 1) or resident ID (starts with 2): ten digits. Its check
    digit is not verified: the Commission checks identity against its own records."""
    if not re.match(NATIONAL_ID_PATTERN, national_id):
        raise ValueError("a national ID is 10 digits starting with 1 or 2")
    return ascii_digits(national_id.strip())


def normalise_mobile(mobile: str) -> str:
    """A Saudi mobile number as written locally (05XXXXXXXX) or internationally (9665XXXXXXXX,
    +9665XXXXXXXX), spaces, dashes and brackets ignored, Arabic digits read as digits; stored in
    E.164: +9665XXXXXXXX."""
    match = _MOBILE.match(ascii_digits(_SEPARATORS.sub("", mobile))) if re.match(MOBILE_PATTERN, mobile) else None
    if match is None:
        raise ValueError("a Saudi mobile number is 05XXXXXXXX or +9665XXXXXXXX")
    return f"+9665{match.group(1)}"
