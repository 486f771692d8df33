"""The scheduler: licences (the renewal window, reminders before expiry, expiry) and the correction
deadline of returned requests.

    python -m applications.scheduler

The same batch loop and row claiming as billing's scheduler (`mumaris_shared.loop.BatchScheduler`,
`mumaris_shared.db.claim`): any number run side by side and each licence is reminded or expired,
each returned request cancelled, by one of them. Batches of APPLICATIONS_SCHEDULER_BATCH (200),
every APPLICATIONS_SCHEDULER_INTERVAL (PT1S)."""

from __future__ import annotations

import logging

from mumaris_shared.loop import BatchScheduler
from mumaris_shared.runtime import configure_logging, run_until_signalled

from .bootstrap import runtime
from .service import ApplicationService

log = logging.getLogger(__name__)


class Scheduler(BatchScheduler):
    def __init__(self, service: ApplicationService):
        settings = service.settings
        super().__init__(
            (service.run_licences, service.run_correction_deadlines),
            batch=settings.scheduler_batch,
            interval=settings.scheduler_interval.total_seconds(),
            name="applications-scheduler",
        )


def main() -> None:
    configure_logging()
    scheduler = Scheduler(ApplicationService(runtime()))
    log.info("scheduler: every %.1fs", scheduler.interval)
    run_until_signalled(scheduler.run)


if __name__ == "__main__":
    main()
