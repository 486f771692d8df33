"""The scheduler: payment reminders and the payment deadline; refund payouts and escalations.

    python -m billing.scheduler

Each tick it claims the requests whose next reminder or deadline has come, the approved refunds
not yet started (started at the provider), the sandbox's notices due (payments completed in it,
refunds paying in it: it sends their webhooks), the refund claims near their decision limit
(escalated), and the payments whose opening at the provider was cut short (reconciled), in batches
(BILLING_SCHEDULER_BATCH, 200), with `FOR UPDATE SKIP LOCKED` on PostgreSQL
(`mumaris_shared.loop.BatchScheduler`), so any number of schedulers run side by side and each
request is reminded or expired, each refund started and escalated, each payment reconciled, by
exactly one of them (on SQLite one transaction runs at a time). It then sleeps
BILLING_SCHEDULER_INTERVAL (PT1S)."""

from __future__ import annotations

from mumaris_shared.loop import BatchScheduler
from mumaris_shared.runtime import main_scheduler

from .bootstrap import runtime
from .service import BillingService


class Scheduler(BatchScheduler):
    def __init__(self, service: BillingService):
        super().__init__(
            (
                service.run_deadlines,
                service.run_refund_payouts,
                service.deliver_sandbox_notices,
                service.run_refund_escalations,
                service.reconcile_openings,
            ),
            batch=service.settings.scheduler_batch,
            interval=service.settings.scheduler_interval.total_seconds(),
            name="billing-scheduler",
        )
        self.service = service


def main() -> None:
    main_scheduler(Scheduler(BillingService(runtime())))


if __name__ == "__main__":
    main()
