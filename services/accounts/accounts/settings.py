"""The accounts settings (docs/rules.md), read from the environment once per app or command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from mumaris_shared.config import env, env_duration, env_int

from .domain.codes import CodePolicy
from .domain.throttling import LoginThrottle


@dataclass(frozen=True)
class Settings:
    codes: CodePolicy = field(default_factory=CodePolicy)
    logins: LoginThrottle = field(default_factory=LoginThrottle)
    token_ttl: timedelta = timedelta(minutes=15)
    # A session is renewed token by token up to this long after its login (domain/sessions.py).
    session_max_age: timedelta = timedelta(hours=12)
    # `POST /v1/password/forgot` answers no sooner than this, account or not, so its timing does
    # not tell whether an address has an account.
    forgot_answer_time: timedelta = timedelta(milliseconds=250)
    # Keys the verification-code hashes. Unset, a random one is made once and kept in the
    # database; set it in production so a copy of the database alone does not reveal codes.
    code_secret: str | None = None

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
            forgot_answer_time=env_duration("ACCOUNTS_FORGOT_ANSWER_TIME", "PT0.25S"),
            code_secret=env("ACCOUNTS_CODE_SECRET"),
        )
