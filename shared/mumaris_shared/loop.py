"""The loop every claiming process runs (relay, mailer, scheduler)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

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


class BatchScheduler:
    """A scheduler process (billing's, applications'): each tick runs every job, batch after batch,
    until a job claims fewer than `batch` rows; then it sleeps `interval` seconds. A job claims its
    rows with `db.claim` (`FOR UPDATE SKIP LOCKED` on PostgreSQL) in the transaction that handles
    them, so any number of schedulers run side by side and each row is handled by one of them."""

    def __init__(self, jobs: Sequence[Callable[[], int]], batch: int, interval: float, name: str = "scheduler"):
        self.jobs, self.batch, self.interval, self.name = tuple(jobs), batch, interval, name

    def tick(self) -> int:
        """Everything due now, batch by batch; how many rows were handled."""
        return sum(self._drain(job) for job in self.jobs)

    def _drain(self, job: Callable[[], int]) -> int:
        handled = 0
        while True:
            claimed = job()
            handled += claimed
            if claimed < self.batch:
                return handled

    def run(self, stop: threading.Event) -> None:
        def step() -> bool:
            handled = self.tick()
            if handled:
                log.info("%s: %d item(s) handled", self.name, handled)
            return False

        def idle(stopped: threading.Event) -> None:
            stopped.wait(self.interval)

        keep_working(step, stop, idle, self.name)
