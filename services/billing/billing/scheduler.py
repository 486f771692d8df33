"""The scheduler: payment reminders and the payment deadline; refund payouts and escalations.

    python -m billing.scheduler

Each tick it claims the requests whose next reminder or deadline has come, the approved refunds
not yet started (started at the provider), the sandbox's notices due (payments completed in it,
refunds paying in it: it sends their webhooks), the refund claims near their decision limit
(escalated), and the payments whose opening at the provider was cut short (reconciled), in batches
(BILLING_SCHEDULER_BATCH, 200), with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of
schedulers run side by side and each request is reminded, or expired, by exactly one of them
(on SQLite one transaction runs at a time): each request is reminded or expired, each refund
started and escalated, by exactly one of them. It then sleeps BILLING_SCHEDULER_INTERVAL (PT1S)."""

from __future__ import annotations

import logging
import threading

from mumaris_shared.loop import keep_working
from mumaris_shared.runtime import configure_logging, run_until_signalled

from .bootstrap import runtime
from .service import BillingService

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, service: BillingService):
        self.service = service
        self.interval = service.settings.scheduler_interval.total_seconds()

    def tick(self) -> int:
        """Everything due now, batch after batch; how many requests and refunds were handled."""
        return sum(
            self._drain(job)
            for job in (
                self.service.run_deadlines,
                self.service.run_refund_payouts,
                self.service.deliver_sandbox_notices,
                self.service.run_refund_escalations,
                self.service.reconcile_openings,
            )
        )

    def _drain(self, job) -> int:
        handled = 0
        while True:
            batch = job()
            handled += batch
            if batch < self.service.settings.scheduler_batch:
                return handled

    def run(self, stop: threading.Event) -> None:
        def step() -> bool:
            handled = self.tick()  # works through everything due, batch by batch
            if handled:
                log.info("scheduler: %d request(s) or refund(s) handled", handled)
            return False

        keep_working(step, stop, lambda stopped: stopped.wait(self.interval), "scheduler")


def main() -> None:
    configure_logging()
    scheduler = Scheduler(BillingService(runtime()))
    log.info("scheduler: every %.1fs", scheduler.interval)
    run_until_signalled(scheduler.run)


if __name__ == "__main__":
    main()
