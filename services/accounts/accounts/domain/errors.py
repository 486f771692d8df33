"""Every refusal of the accounts service's rules, by name. Each is a kind of
`mumaris_shared.errors.DomainError`, which the web layer answers with its status and the one
error shape."""

from __future__ import annotations

from datetime import timedelta

from mumaris_shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound, TooManyRequests, Unauthenticated

from .throttling import retry_after_seconds


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("an account with this e-mail address exists")


class WeakPassword(Invalid):
    """A password the policy refuses (domain/passwords.py), with every problem it has."""

    code = "weak_password"

    def __init__(self, problems: list[str]):
        super().__init__("the password does not meet the policy", {"password": problems})
        self.problems = problems


class NotAStaffRole(Invalid):
    def __init__(self, roles: tuple[str, ...]):
        super().__init__(f"a staff role is one of {', '.join(roles)}", {"role": [f"must be one of {', '.join(roles)}"]})


class AlreadyActive(Conflict):
    code = "already_active"

    def __init__(self) -> None:
        super().__init__("this account is already active; log in")


class WrongCode(Invalid):
    code = "wrong_code"

    def __init__(self, attempts_left: int):
        super().__init__("the code is wrong", details={"attempts_left": attempts_left})


class CodeExpired(Gone):
    code = "code_expired"

    def __init__(self) -> None:
        super().__init__("the code has expired; ask for a new code")


class TooManyCodeAttempts(TooManyRequests):
    """Five wrong codes: this code is spent; only a new one can activate the account."""

    code = "too_many_attempts"

    def __init__(self) -> None:
        super().__init__("too many wrong codes; ask for a new code")


class RetryLater(TooManyRequests):
    def __init__(self, code: str, message: str, wait: timedelta):
        super().__init__(message, retry_after_seconds(wait), code=code)


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("the e-mail address or the password is wrong")


class NotActive(Forbidden):
    code = "not_active"

    def __init__(self) -> None:
        super().__init__("activate the account with the code we e-mailed first")


class AccountGone(NotFound):
    def __init__(self) -> None:
        super().__init__("the account no longer exists")


class WrongPassword(Invalid):
    """The current password, asked to change it, is not the account's."""

    code = "wrong_password"

    def __init__(self) -> None:
        super().__init__("the current password is wrong", {"current_password": ["the current password is wrong"]})


class SessionEnded(Unauthenticated):
    """A token issued before the account's last password reset or change, or a session too old to renew."""

    code = "session_ended"

    def __init__(self, message: str = "this session has ended (the password was changed); log in again") -> None:
        super().__init__(message)
