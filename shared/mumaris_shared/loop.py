"""The loop every claiming process runs (relay, mailer, scheduler)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def keep_working(
    step: Callable[[], bool],
    stop: threading.Event,
    idle: Callable[[threading.Event], None],
    name: str,
    expected: tuple[type[BaseException], ...] = (),
) -> None:
    """The loop of every claiming process (relay, mailer, scheduler): run `step` until `stop`;
    again at once while it reports more work, `idle(stop)` when it has none. A failure (the
    database or the broker away) is logged and retried after a growing pause, so an outage delays
    work and loses none. `expected` failures are logged without a traceback."""
    failures = 0
    while not stop.is_set():
        try:
            busy = step()
            failures = 0
        except expected as exc:
            failures += 1
            log.warning("%s: %s; retrying", name, exc)
        except Exception:
            failures += 1
            log.exception("%s: failed; retrying", name)
        else:
            if not busy:
                idle(stop)
            continue
        stop.wait(min(5.0, 0.2 * 2 ** min(failures, 5)))
