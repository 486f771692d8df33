"""The scheduler: pending accounts expire, old throttling records go.

    python -m accounts.scheduler

Each tick removes, batch by batch (ACCOUNTS_SCHEDULER_BATCH, 200), the accounts never activated
within ACCOUNTS_PENDING_TTL (P7D) — their addresses are free again — claiming them like every
scheduler (`mumaris_shared.loop.BatchScheduler`, `db.claim`), so any number run side by side; and
forgets failed logins and code requests no rule looks at any more. Every
ACCOUNTS_SCHEDULER_INTERVAL (PT1M)."""

from __future__ import annotations

from mumaris_shared.loop import BatchScheduler
from mumaris_shared.runtime import main_scheduler

from .bootstrap import runtime
from .service import AccountService


class Scheduler(BatchScheduler):
    def __init__(self, service: AccountService):
        settings = service.settings
        super().__init__(
            (service.expire_pending_accounts, service.forget_old_attempts),
            batch=settings.scheduler_batch,
            interval=settings.scheduler_interval.total_seconds(),
            name="accounts-scheduler",
        )


def main() -> None:
    main_scheduler(Scheduler(AccountService(runtime())))


if __name__ == "__main__":
    main()
