"""The accounts settings (docs/rules.md), read from the environment once per app or command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from mumaris_shared.config import Secret, env_duration, env_int, jwks_refresh

from .domain.codes import CodePolicy
from .domain.throttling import LoginThrottle

# Keys the verification-code hashes. Unset in development, a random one is made once and kept in
# the database; production requires it, so a copy of the database alone does not reveal codes.
CODE_SECRET = Secret("ACCOUNTS_CODE_SECRET")
# Seals the private signing keys in the database (adapters/sealing.py): 32 random bytes in URL-safe
# base64 (`python -c "from accounts.adapters.sealing import new_key_encryption_key as k; print(k())"`).
# The development value is public, so production refuses it.
KEY_ENCRYPTION_KEY = Secret("ACCOUNTS_KEY_ENCRYPTION_KEY", dev_default="bXVtYXJpcy1kZXZlbG9wbWVudC1rZXktZW5jcnlwdCE=")


@dataclass(frozen=True)
class Settings:
    codes: CodePolicy = field(default_factory=CodePolicy)
    logins: LoginThrottle = field(default_factory=LoginThrottle)
    token_ttl: timedelta = timedelta(minutes=15)
    # A session is renewed token by token up to this long after its login (domain/sessions.py).
    session_max_age: timedelta = timedelta(hours=12)
    # An account never activated is removed this long after registering, freeing its address.
    pending_ttl: timedelta = timedelta(days=7)
    scheduler_interval: timedelta = timedelta(minutes=1)
    scheduler_batch: int = 200
    # Verify, resend and a password's reset answer no sooner than this, whether or not the address
    # has an account (domain/timing.py).
    answer_time: timedelta = timedelta(milliseconds=300)
    code_secret: str | None = None  # CODE_SECRET
    key_encryption_key: str = KEY_ENCRYPTION_KEY.dev_default or ""
    # How often verifiers, accounts' own too, read the published keys again (ACCOUNTS_JWKS_REFRESH).
    jwks_refresh: timedelta = timedelta(minutes=1)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            codes=CodePolicy(
                ttl=env_duration("ACCOUNTS_CODE_TTL", "PT10M"),
                max_attempts=env_int("ACCOUNTS_CODE_MAX_ATTEMPTS", 5),
                resend_interval=env_duration("ACCOUNTS_RESEND_INTERVAL", "PT1M"),
                resends_per_hour=env_int("ACCOUNTS_RESENDS_PER_HOUR", 5),
            ),
            logins=LoginThrottle(
                max_failures=env_int("ACCOUNTS_LOGIN_MAX_FAILURES", 5),
                window=env_duration("ACCOUNTS_LOGIN_WINDOW", "PT15M"),
            ),
            token_ttl=env_duration("ACCOUNTS_TOKEN_TTL", "PT15M"),
            session_max_age=env_duration("ACCOUNTS_SESSION_MAX_AGE", "PT12H"),
            pending_ttl=env_duration("ACCOUNTS_PENDING_TTL", "P7D"),
            scheduler_interval=env_duration("ACCOUNTS_SCHEDULER_INTERVAL", "PT1M"),
            scheduler_batch=env_int("ACCOUNTS_SCHEDULER_BATCH", 200),
            answer_time=env_duration("ACCOUNTS_ANSWER_TIME", "PT0.3S"),
            code_secret=CODE_SECRET.value(),
            key_encryption_key=KEY_ENCRYPTION_KEY.required(),
            jwks_refresh=jwks_refresh(),
        )
