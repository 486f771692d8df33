"""The password policy and how passwords are kept (argon2id, never the password itself)."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 128
# A local part this short ("al@…") would rule out every password holding those letters.
SHORTEST_LOCAL_PART_CHECKED = 3

_hasher = PasswordHasher()  # argon2id with the library's defaults (RFC 9106's low-memory profile)


def password_problems(password: str, email: str) -> list[str]:
    """What is wrong with `password` for the account of `email`; empty when it is acceptable.

    The policy, kept simple on purpose (NIST SP 800-63B): 10 to 128 characters, and it must not
    contain the e-mail address or its local part (case-insensitive; local parts under 3
    characters are not checked). No character-class rules: length is what makes a password strong."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"the password is shorter than {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"the password is longer than {MAX_LENGTH} characters")
    lowered, email = password.lower(), email.strip().lower()
    local_part = email.partition("@")[0]
    if email and email in lowered:
        problems.append("the password contains the e-mail address")
    elif len(local_part) >= SHORTEST_LOCAL_PART_CHECKED and local_part in lowered:
        problems.append("the password contains the e-mail address's name part")
    return problems


def check_password_policy(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise WeakPassword(problems)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True once the hashing parameters were raised since this hash was made."""
    return _hasher.check_needs_rehash(password_hash)


def verify_without_account(password: str) -> bool:
    """Spend the time a real check takes, so answering for an unknown e-mail is not measurably
    faster than for a known one; always False."""
    verify_password(_dummy_hash(), password)
    return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
