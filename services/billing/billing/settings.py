"""The billing settings (DESIGN.md section 4), read from the environment once per process.

BILLING_FEE_SCHEDULE     the fee schedule file (default: billing/fee_schedule.json, shipped)
BILLING_PAYMENT_DEADLINE P30D
BILLING_REMINDERS        P7D,P1D (empty: none)
BILLING_PAYMENT_PROVIDER sandbox (the only one so far)
BILLING_WEBHOOK_URL      where the sandbox posts its webhooks
                         (default http://127.0.0.1:${BILLING_PORT:-8103}/v1/webhooks/sandbox)
BILLING_SANDBOX_WEBHOOK_SECRET  the sandbox's webhook signing secret; the default is for
                         development only and is public: set your own anywhere else
BILLING_SCHEDULER_INTERVAL PT1S, BILLING_SCHEDULER_BATCH 200"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from mumaris_shared.config import env, env_duration, env_int

from .domain.deadlines import DeadlinePolicy, parse_reminders
from .domain.fees import DEFAULT_SCHEDULE, FeeSchedule

DEV_SANDBOX_WEBHOOK_SECRET = "mumaris-sandbox-dev-secret"
PROVIDERS = ("sandbox",)


@dataclass(frozen=True)
class Settings:
    fees: FeeSchedule = field(default_factory=FeeSchedule.load)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    payment_provider: str = "sandbox"
    webhook_url: str = "http://127.0.0.1:8103/v1/webhooks/sandbox"
    sandbox_webhook_secret: str = DEV_SANDBOX_WEBHOOK_SECRET
    scheduler_interval: timedelta = timedelta(seconds=1)
    scheduler_batch: int = 200

    def __post_init__(self):
        if self.payment_provider not in PROVIDERS:
            raise ValueError(f"BILLING_PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}")

    @classmethod
    def from_env(cls) -> "Settings":
        port = env("BILLING_PORT", "8103")
        return cls(
            fees=FeeSchedule.load(env("BILLING_FEE_SCHEDULE", str(DEFAULT_SCHEDULE))),
            deadlines=DeadlinePolicy(deadline=env_duration("BILLING_PAYMENT_DEADLINE", "P30D"),
                                     reminders=parse_reminders(env("BILLING_REMINDERS", "P7D,P1D"))),
            payment_provider=env("BILLING_PAYMENT_PROVIDER", "sandbox"),
            webhook_url=env("BILLING_WEBHOOK_URL", f"http://127.0.0.1:{port}/v1/webhooks/sandbox"),
            sandbox_webhook_secret=env("BILLING_SANDBOX_WEBHOOK_SECRET", DEV_SANDBOX_WEBHOOK_SECRET),
            scheduler_interval=env_duration("BILLING_SCHEDULER_INTERVAL", "PT1S"),
            scheduler_batch=env_int("BILLING_SCHEDULER_BATCH", 200),
        )
