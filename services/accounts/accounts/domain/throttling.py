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
    """After `max_failures` failed logins for one e-mail address within `window`, further logins
    for it wait (the right password too: an attacker must not learn it was right). A successful
    login clears the failures before it."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def wait(self, attempts: Iterable[tuple[datetime, bool]], now: datetime) -> timedelta | None:
        """`attempts`: (when, succeeded) of the logins for one e-mail address."""
        attempts = sorted(attempts)
        last_success = max((at for at, succeeded in attempts if succeeded), default=None)
        failures = [at for at, succeeded in attempts if not succeeded and (last_success is None or at > last_success)]
        return window_wait(failures, self.max_failures, self.window, now)
