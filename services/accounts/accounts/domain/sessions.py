"""How long a login lasts. A token is short-lived (`ACCOUNTS_TOKEN_TTL`) and can be renewed while it
is still valid, up to `ACCOUNTS_SESSION_MAX_AGE` after the password was last typed. Every token
carries the account's session version; a password reset or change moves the version on, which ends
every session: accounts refuses older tokens at once, and the other services, which verify tokens
locally, stop accepting them when they expire (within one token lifetime)."""

from __future__ import annotations

from datetime import datetime, timedelta


def is_current(token_version: int | None, account_version: int) -> bool:
    """A token issued before the account's last reset or password change is not. Tokens from
    before versions existed carry none and count as version 0."""
    return (token_version or 0) == account_version


def may_renew(authenticated_at: datetime, now: datetime, max_age: timedelta) -> bool:
    """A session is renewed only within `max_age` of the login that started it."""
    return now < authenticated_at + max_age
