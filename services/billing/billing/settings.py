"""The billing settings (docs/rules.md), read from the environment once per process.

BILLING_FEE_SCHEDULE     the fee schedule file (default: billing/fee_schedule.json, shipped)
BILLING_PAYMENT_DEADLINE P30D
BILLING_REMINDERS        P7D,P1D (empty: none)
BILLING_PAYMENT_PROVIDER sandbox | moyasar (production refuses the sandbox)
BILLING_PROVIDER_TIMEOUT PT10S  each call to the provider; BILLING_PROVIDER_ATTEMPTS 3 tries of what may pass
BILLING_PROVIDER_LEASE   PT2M   a payment being opened (a refund being started) at the provider is left to
                         its caller this long; then the scheduler reconciles it with the provider
BILLING_PAYMENT_RETURN_URL where the provider's page sends the payer back (default: the portal's requests)
BILLING_MOYASAR_API_URL  https://api.moyasar.com/v1; BILLING_MOYASAR_SECRET_KEY (sk_…) its API key;
BILLING_MOYASAR_WEBHOOK_SECRET the secret token of the webhook set up in Moyasar's dashboard
BILLING_WEBHOOK_URL      where the sandbox posts its webhooks
                         (default http://127.0.0.1:${BILLING_PORT:-8103}/v1/webhooks/sandbox)
BILLING_SANDBOX_WEBHOOK_SECRET  the sandbox's webhook signing secret; the default is for
                         development only and is public: set your own anywhere else
BILLING_SCHEDULER_INTERVAL PT1S, BILLING_SCHEDULER_BATCH 200
BILLING_REFUND_WINDOW    P30D   withdrawn at most this long after paying: a share of the service fee back
BILLING_REFUND_SHARE     0.5    that share (0..1), rounded down to a whole halala
BILLING_REFUND_DECISION_SLA P15D every refund claim is decided within this
BILLING_REFUND_ESCALATE_BEFORE P3D a claim still undecided this long before its limit is escalated
BILLING_SANDBOX_RESEND_AFTER PT1M the sandbox re-sends a webhook not yet acknowledged after this"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from mumaris_shared.config import DevelopmentOnly, Secret, env, env_duration, env_int

from .domain.deadlines import DeadlinePolicy, parse_reminders
from .domain.fees import DEFAULT_SCHEDULE, FeeSchedule
from .domain.refunds import RefundPolicy

SANDBOX, MOYASAR = "sandbox", "moyasar"
PROVIDERS = (SANDBOX, MOYASAR)
PAYMENT_PROVIDER = DevelopmentOnly(
    "BILLING_PAYMENT_PROVIDER",
    refused=SANDBOX,
    default=SANDBOX,
    why="the sandbox lets a payer mark their own fees paid",
)
DEV_SANDBOX_WEBHOOK_SECRET = "mumaris-sandbox-dev-secret"
# Read only with the sandbox, which production refuses: it never matters in production.
SANDBOX_WEBHOOK_SECRET = Secret("BILLING_SANDBOX_WEBHOOK_SECRET", dev_default=DEV_SANDBOX_WEBHOOK_SECRET)
# Read only with Moyasar, production's provider; no development value.
MOYASAR_SECRET_KEY = Secret("BILLING_MOYASAR_SECRET_KEY")
MOYASAR_WEBHOOK_SECRET = Secret("BILLING_MOYASAR_WEBHOOK_SECRET")


@dataclass(frozen=True)
class MoyasarSettings:
    """Moyasar (adapters/moyasar.py): its API, the account's secret API key, and the secret token
    of the webhook set up in its dashboard (pointing at billing's /v1/webhooks/moyasar)."""

    api_url: str = "https://api.moyasar.com/v1"
    secret_key: str | None = None
    webhook_secret: str | None = None

    def check(self) -> None:
        for name, value in (("SECRET_KEY", self.secret_key), ("WEBHOOK_SECRET", self.webhook_secret)):
            if not value:
                raise ValueError(f"BILLING_MOYASAR_{name} must be set when BILLING_PAYMENT_PROVIDER=moyasar")


@dataclass(frozen=True)
class Settings:
    fees: FeeSchedule = field(default_factory=FeeSchedule.load)
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    payment_provider: str = SANDBOX
    provider_timeout: timedelta = timedelta(seconds=10)
    provider_attempts: int = 3
    provider_lease: timedelta = timedelta(minutes=2)
    return_url: str = "http://localhost:8080/requests"
    moyasar: MoyasarSettings = field(default_factory=MoyasarSettings)
    webhook_url: str = "http://127.0.0.1:8103/v1/webhooks/sandbox"
    sandbox_webhook_secret: str = DEV_SANDBOX_WEBHOOK_SECRET
    scheduler_interval: timedelta = timedelta(seconds=1)
    scheduler_batch: int = 200
    refunds: RefundPolicy = field(default_factory=RefundPolicy)
    sandbox_resend_after: timedelta = timedelta(minutes=1)

    def __post_init__(self):
        if self.payment_provider not in PROVIDERS:
            raise ValueError(f"BILLING_PAYMENT_PROVIDER must be one of {', '.join(PROVIDERS)}")
        if self.payment_provider == MOYASAR:
            self.moyasar.check()

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
            provider_timeout=env_duration("BILLING_PROVIDER_TIMEOUT", "PT10S"),
            provider_attempts=env_int("BILLING_PROVIDER_ATTEMPTS", 3),
            provider_lease=env_duration("BILLING_PROVIDER_LEASE", "PT2M"),
            return_url=env("BILLING_PAYMENT_RETURN_URL", "http://localhost:8080/requests"),
            moyasar=MoyasarSettings(
                api_url=env("BILLING_MOYASAR_API_URL", "https://api.moyasar.com/v1"),
                secret_key=MOYASAR_SECRET_KEY.value() if provider == MOYASAR else None,
                webhook_secret=MOYASAR_WEBHOOK_SECRET.value() if provider == MOYASAR else None,
            ),
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
