"""The portal's settings, read from the environment once per app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mumaris_shared.config import env, env_duration


@dataclass(frozen=True)
class Settings:
    # Where the services' public APIs answer (the launcher sets <SERVICE>_URL for every process).
    accounts_url: str = "http://127.0.0.1:8101"
    applications_url: str = "http://127.0.0.1:8102"
    billing_url: str = "http://127.0.0.1:8103"
    # Signs the session cookie (which holds no token: only the session id, the CSRF token and
    # one-time messages). Unset, one is made once and kept in the portal's database.
    secret_key: str | None = None
    # A session's token is renewed through accounts when it has less than this left, so an active
    # person stays logged in; one idle for a whole token lifetime is logged out.
    renew_before: timedelta = timedelta(minutes=5)
    # The sandbox payment provider plays the bank: the portal then shows its payer page.
    sandbox_payments: bool = True
    api_timeout_seconds: float = 15.0

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            accounts_url=env("ACCOUNTS_URL", cls.accounts_url),
            applications_url=env("APPLICATIONS_URL", cls.applications_url),
            billing_url=env("BILLING_URL", cls.billing_url),
            secret_key=env("PORTAL_SECRET_KEY"),
            renew_before=env_duration("PORTAL_RENEW_BEFORE", "PT5M"),
            sandbox_payments=env("BILLING_PAYMENT_PROVIDER", "sandbox") == "sandbox",
            api_timeout_seconds=float(env("PORTAL_API_TIMEOUT", "15")),
        )
