"""The scheduler: pending accounts expire, old throttling records go.

    python -m accounts.scheduler

Each tick it removes, batch by batch (ACCOUNTS_SCHEDULER_BATCH, 200), the accounts never activated
within ACCOUNTS_PENDING_TTL (P7D) — their addresses are free again — claiming them with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so that any number of schedulers run side by side; and it
forgets failed logins and code requests no rule looks at any more. It then sleeps
ACCOUNTS_SCHEDULER_INTERVAL (PT1M)."""

from __future__ import annotations

import logging
import threading

from mumaris_shared.loop import keep_working
from mumaris_shared.runtime import configure_logging, run_until_signalled

from .bootstrap import runtime
from .service import AccountService

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, service: AccountService):
        self.service = service
        self.interval = service.settings.scheduler_interval.total_seconds()

    def tick(self) -> int:
        """Everything due now; how many pending accounts were removed."""
        removed = 0
        while True:
            batch = self.service.expire_pending_accounts()
            removed += batch
            if batch < self.service.settings.scheduler_batch:
                break
        self.service.forget_old_attempts()
        return removed

    def run(self, stop: threading.Event) -> None:
        def step() -> bool:
            removed = self.tick()
            if removed:
                log.info("scheduler: %d pending account(s) expired", removed)
            return False

        keep_working(step, stop, lambda stopped: stopped.wait(self.interval), "scheduler")


def main() -> None:
    configure_logging()
    scheduler = Scheduler(AccountService(runtime()))
    log.info("scheduler: every %.1fs", scheduler.interval)
    run_until_signalled(scheduler.run)


if __name__ == "__main__":
    main()
