"""Answers that take the same time whatever the answer is about."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta


@contextmanager
def no_sooner_than(
    floor: timedelta, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
) -> Iterator[None]:
    """The block's answer, refusals included, comes no sooner than `floor` after it began. Around
    a request about an e-mail address (verify, resend, password reset), it hides whether the work
    behind the answer found an account: set `floor` above the slowest such work."""
    started = clock()
    try:
        yield
    finally:
        sleep(max(0.0, floor.total_seconds() - (clock() - started)))
