"""The scheduler: licences (the renewal window, reminders before expiry, expiry) and the correction
deadline of returned requests.

    python -m applications.scheduler

The same batch loop and row claiming as billing's scheduler (`mumaris_shared.loop.BatchScheduler`,
`mumaris_shared.db.claim`): any number run side by side and each licence is reminded or expired,
each returned request cancelled, by one of them. Batches of APPLICATIONS_SCHEDULER_BATCH (200),
every APPLICATIONS_SCHEDULER_INTERVAL (PT1S)."""

from __future__ import annotations

from mumaris_shared.loop import BatchScheduler
from mumaris_shared.runtime import main_scheduler

from .bootstrap import runtime
from .service import ApplicationService


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
    main_scheduler(Scheduler(ApplicationService(runtime())))


if __name__ == "__main__":
    main()
