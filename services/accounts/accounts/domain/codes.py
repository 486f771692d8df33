"""Verification codes (R1): six digits from a secure random source, valid for a
while, single use, a few wrong tries, a new code voids the old, resends limited."""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from mumaris_shared.identity import ascii_digits

from .throttling import window_wait

HOUR = timedelta(hours=1)

# What a code is for. Each purpose has its own current code (a new one voids only the old one of
# its purpose), under the same policy: the same length, lifetime, tries, throttles and hashing.
ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"


@dataclass(frozen=True)
class CodePolicy:
    ttl: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    resend_interval: timedelta = timedelta(minutes=1)
    resends_per_hour: int = 5

    @property
    def valid_minutes(self) -> int:
        """The lifetime as told to the person, in whole minutes (rounded up)."""
        return max(1, math.ceil(self.ttl.total_seconds() / 60))


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def normalise_code(code: str) -> str:
    """A code as typed (surrounding spaces, Arabic digits) as it was issued; ValueError unless six digits."""
    code = ascii_digits(code.strip())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValueError("a code is six digits")
    return code


class CodeHasher:
    """Codes are kept as HMAC-SHA256 keyed with a server secret, not argon2. There are only a
    million six-digit codes, so a slow hash would not stop anyone who holds the stored hash from
    trying them all (a million argon2 runs is hours on one machine), while it would cost every
    verification tens of milliseconds and some memory, which is an easy way to overload the
    service. The key is what protects the code: without it the hash reveals nothing, and with
    it a code lives only ten minutes and five tries anyway."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("the code secret must be at least 16 bytes")
        self._secret = secret

    def hash(self, code: str) -> str:
        return hmac.new(self._secret, code.encode(), hashlib.sha256).hexdigest()

    def matches(self, code: str, code_hash: str) -> bool:
        return hmac.compare_digest(self.hash(code), code_hash)


@dataclass(frozen=True)
class IssuedCode:
    """The account's current code: the latest one issued, neither used nor voided."""

    code_hash: str
    expires_at: datetime
    failed_attempts: int


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # the wrong tries are spent: only a new code helps


@dataclass(frozen=True)
class CodeCheck:
    verdict: Verdict
    attempts_left: int = 0


def check_code(
    issued: IssuedCode | None, submitted: str, hasher: CodeHasher, policy: CodePolicy, now: datetime
) -> CodeCheck:
    """The verdict on one try. Spent tries are judged before expiry and before the code itself:
    after `max_attempts` wrong tries even the right code is refused. An expired code is not a
    try, so it spends none."""
    if issued is None:
        return CodeCheck(Verdict.EXPIRED)
    if issued.failed_attempts >= policy.max_attempts:
        return CodeCheck(Verdict.EXHAUSTED)
    if now >= issued.expires_at:
        return CodeCheck(Verdict.EXPIRED)
    if hasher.matches(submitted, issued.code_hash):
        return CodeCheck(Verdict.ACCEPTED)
    return CodeCheck(Verdict.WRONG, attempts_left=policy.max_attempts - issued.failed_attempts - 1)


def resend_wait(
    last_issued_at: datetime | None, resends_in_last_hour: list[datetime], policy: CodePolicy, now: datetime
) -> timedelta | None:
    """How long before another code may be sent; None when it may be sent now. At most one code
    per `resend_interval` (the one sent at registration included) and `resends_per_hour` resends
    in any hour (the registration code not counted)."""
    waits = [window_wait(resends_in_last_hour, policy.resends_per_hour, HOUR, now)]
    if last_issued_at is not None and now < last_issued_at + policy.resend_interval:
        waits.append(last_issued_at + policy.resend_interval - now)
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None
