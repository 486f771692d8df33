"""The scheduler: payment reminders and the payment deadline.

    python -m billing.scheduler

Each tick it claims the requests whose next reminder or deadline has come, in batches
(BILLING_SCHEDULER_BATCH, 200), with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of
schedulers run side by side and each request is reminded, or expired, by exactly one of them
(on SQLite one transaction runs at a time). It then sleeps BILLING_SCHEDULER_INTERVAL (PT1S)."""
from __future__ import annotations

import logging
import threading

from mumaris_shared.runtime import configure_logging, run_until_signalled

from .bootstrap import runtime
from .service import BillingService

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, service: BillingService):
        self.service = service
        self.interval = service.settings.scheduler_interval.total_seconds()

    def tick(self) -> int:
        """Everything due now, batch after batch; how many requests were handled."""
        handled = 0
        while True:
            batch = self.service.run_deadlines()
            handled += batch
            if batch < self.service.settings.scheduler_batch:
                return handled

    def run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                handled = self.tick()
                failures = 0
            except Exception:  # the database is away: keep trying, lose nothing
                failures += 1
                log.exception("scheduler: database error; retrying")
                stop.wait(min(5.0, 0.2 * 2 ** min(failures, 5)))
                continue
            if handled:
                log.info("scheduler: %d request(s) reminded or expired", handled)
            stop.wait(self.interval)


def main() -> None:
    configure_logging()
    scheduler = Scheduler(BillingService(runtime()))
    log.info("scheduler: every %.1fs", scheduler.interval)
    run_until_signalled(scheduler.run)


if __name__ == "__main__":
    main()
