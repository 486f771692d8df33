"""How many tries are allowed in a sliding window of time, and how long to wait for the next one."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def window_wait(moments: Iterable[datetime], limit: int, window: timedelta, now: datetime) -> timedelta | None:
    """How long until fewer than `limit` of `moments` lie within the `window` before `now`;
    None when that is already so."""
    recent = sorted(moment for moment in moments if moment > now - window)
    if len(recent) < limit:
        return None
    return recent[-limit] + window - now


def retry_after_seconds(wait: timedelta) -> int:
    """A wait as a Retry-After header counts it: whole seconds, rounded up, at least one."""
    return max(1, math.ceil(wait.total_seconds()))


@dataclass(frozen=True)
class LoginThrottle:
    """After `max_failures` failed logins from one client address within `window`, further logins
    from that address wait (the right password too: an attacker must not learn it was right).
    Counted by address, not by account, so guessing someone's password never locks its owner
    out; and a success does not clear the count, or an attacker could log into an account of
    their own between guesses."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def wait(self, failures: Iterable[datetime], now: datetime) -> timedelta | None:
        """`failures`: when the failed logins from one client address happened."""
        return window_wait(failures, self.max_failures, self.window, now)
