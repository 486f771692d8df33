"""Request and membership numbers, from a secure random source so they can be neither guessed nor
enumerated: anyone holding a request number may look up its status (R10).

Request numbers: `MR-` and 12 Crockford base32 characters (60 bits) in groups of four. Crockford's
alphabet leaves out I, L, O and U, so a number read aloud or copied by hand is read back right.
Membership numbers: 10 digits, the last a Luhn check digit that catches a mistyped digit."""

from __future__ import annotations

import re
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUPS, _GROUP = 3, 4
_APPLICATION_NUMBER = re.compile(r"^MR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
_LOOK_ALIKES = str.maketrans("OIL", "011")


def new_application_number() -> str:
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(_GROUPS * _GROUP))
    return "MR-" + "-".join(chars[i : i + _GROUP] for i in range(0, len(chars), _GROUP))


def normalise_application_number(text: str) -> str | None:
    """A number as typed (any case, surrounding spaces, O for 0, I or L for 1) as issued; None when
    it cannot be one."""
    text = text.strip().upper()
    if not text.startswith("MR-"):
        return None
    number = "MR-" + text[3:].translate(_LOOK_ALIKES)
    return number if _APPLICATION_NUMBER.match(number) else None


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(payload)):
        value = int(digit)
        if position % 2 == 0:  # doubled: the check digit will sit to its right
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def is_membership_number(text: str) -> bool:
    return len(text) == 10 and text.isascii() and text.isdigit() and luhn_check_digit(text[:-1]) == text[-1]


def normalise_membership_number(text: str) -> str | None:
    """A membership number as typed (surrounding spaces ignored); None when it cannot be one."""
    text = text.strip()
    return text if is_membership_number(text) else None


def new_membership_number() -> str:
    # No leading zero: a number that a spreadsheet or a form turns into an integer stays whole.
    payload = str(1 + secrets.randbelow(9)) + f"{secrets.randbelow(10**8):08d}"
    return payload + luhn_check_digit(payload)
