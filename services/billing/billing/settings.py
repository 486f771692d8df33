"""The billing settings (docs/rules.md), read from the environment once per process.

BILLING_FEE_SCHEDULE     the fee schedule file (default: billing/fee_schedule.json, shipped)
BILLING_PAYMENT_DEADLINE P30D
BILLING_REMINDERS        P7D,P1D (empty: none)
BILLING_PAYMENT_PROVIDER sandbox (the only one so far; refused in production)
BILLING_WEBHOOK_URL      where the sandbox posts its webhooks
                         (default http://127.0.0.1:${BILLING_PORT:-8103}/v1/webhooks/sandbox)
BILLING_SANDBOX_WEBHOOK_SECRET  the sandbox's webhook signing secret; the default is for
                         development only and is public: set your own anywhere else
BILLING_SCHEDULER_INTERVAL PT1S, BILLING_SCHEDULER_BATCH 200
BILLING_REFUND_WINDOW    P30D   withdrawn at most this long after paying: a share of the service fee back
BILLING_REFUND_SHARE     0.5    that share (0..1), rounded down to a whole halala
BILLING_REFUND_DECISION_SLA P15D every refund claim is decided within this
BILLING_REFUND_ESCALATE_BEFORE P3D a claim still undecided this long before its limit is escalated
BILLING_SANDBOX_RESEND_AFTER PT1M the sandbox re-sends a refund's webhook not yet acknowledged after this"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from mumaris_shared.config import DevelopmentOnly, Secret, env, env_duration, env_int

from .domain.deadlines import DeadlinePolicy, parse_reminders
from .domain.fees import DEFAULT_SCHEDULE, FeeSchedule
from .domain.refunds import RefundPolicy

SANDBOX = "sandbox"
PROVIDERS = (SANDBOX,)
PAYMENT_PROVIDER = DevelopmentOnly(
    "BILLING_PAYMENT_PROVIDER",
    refused=SANDBOX,
    default=SANDBOX,
    why="the sandbox lets a payer mark their own fees paid",
)
DEV_SANDBOX_WEBHOOK_SECRET = "mumaris-sandbox-dev-secret"
# Read only with the sandbox, which production refuses: it never matters in production.
SANDBOX_WEBHOOK_SECRET = Secret("BILLING_SANDBOX_WEBHOOK_SECRET", dev_default=DEV_SANDBOX_WEBHOOK_SECRET)


@dataclass(frozen=True)
class Settings:
    fees: FeeSchedule = field(default_factory=FeeSchedule.load)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    payment_provider: str = SANDBOX
    webhook_url: str = "http://127.0.0.1:8103/v1/webhooks/sandbox"
    sandbox_webhook_secret: str = DEV_SANDBOX_WEBHOOK_SECRET
    scheduler_interval: timedelta = timedelta(seconds=1)
    scheduler_batch: int = 200
    refunds: RefundPolicy = field(default_factory=RefundPolicy)
    sandbox_resend_after: timedelta = timedelta(minutes=1)

    def __post_init__(self):
        if self.payment_provider not in PROVIDERS:
            raise ValueError(f"BILLING_PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}")

    @classmethod
    def from_env(cls) -> Settings:
        port = env("BILLING_PORT", "8103")
        provider = PAYMENT_PROVIDER.value()
        return cls(
            fees=FeeSchedule.load(env("BILLING_FEE_SCHEDULE", str(DEFAULT_SCHEDULE))),
            deadlines=DeadlinePolicy(
                deadline=env_duration("BILLING_PAYMENT_DEADLINE", "P30D"),
                reminders=parse_reminders(env("BILLING_REMINDERS", "P7D,P1D")),
            ),
            payment_provider=provider,
            webhook_url=env("BILLING_WEBHOOK_URL", f"http://127.0.0.1:{port}/v1/webhooks/sandbox"),
            sandbox_webhook_secret=SANDBOX_WEBHOOK_SECRET.value() if provider == SANDBOX else "",
            scheduler_interval=env_duration("BILLING_SCHEDULER_INTERVAL", "PT1S"),
            scheduler_batch=env_int("BILLING_SCHEDULER_BATCH", 200),
            refunds=RefundPolicy(
                window=env_duration("BILLING_REFUND_WINDOW", "P30D"),
                share=_share(env("BILLING_REFUND_SHARE", "0.5")),
                decision_sla=env_duration("BILLING_REFUND_DECISION_SLA", "P15D"),
                escalate_before=env_duration("BILLING_REFUND_ESCALATE_BEFORE", "P3D"),
            ),
            sandbox_resend_after=env_duration("BILLING_SANDBOX_RESEND_AFTER", "PT1M"),
        )


def _share(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"BILLING_REFUND_SHARE must be a number between 0 and 1, not {text!r}") from None
