"""What an account holder does with their password and session, and the staff's look-up of
accounts: one method per use, one transaction each, beside `service.AccountService` whose codes,
hasher and tokens it shares.

A forgotten password is reset with an e-mailed code that follows the activation code's policy
(domain/codes.py: length, lifetime, tries, throttles, HMAC hashing), with a purpose of its own.
A reset or a change of password ends every session (domain/sessions.py)."""

from __future__ import annotations

import time
from datetime import datetime

from mumaris_shared.auth import Principal
from mumaris_shared.contracts import PASSWORD_RESET_CODE_ISSUED

from .adapters import repository
from .domain import passwords, sessions
from .domain.accounts import ACTIVE
from .domain.codes import HOUR, PASSWORD_RESET, resend_wait
from .domain.errors import RetryLater, SessionEnded, WrongCode, WrongPassword
from .service import AccountService, account_view

RESET_REASON = "reset"


class CredentialService:
    def __init__(self, accounts: AccountService):
        self.accounts = accounts
        self.db, self.settings = accounts.db, accounts.settings

    # --- a forgotten password ---------------------------------------------------------------------
    def forgot_password(self, email: str) -> dict:
        """A reset code for an active account, e-mailed. The answer is the same, and comes no
        sooner than `forgot_answer_time`, whatever the address: unknown, not active, or asking
        again too soon (then nothing is sent)."""
        started = time.monotonic()
        hasher, now = self.accounts.code_hasher(), self.accounts.clock()
        with self.db.transaction() as session:
            account = repository.account_by_email(session, email, for_update=True)
            if account is not None and account.status == ACTIVE and self._reset_wait(session, account, now) is None:
                self.accounts.issue_code(
                    session, hasher, account, RESET_REASON, now, PASSWORD_RESET, PASSWORD_RESET_CODE_ISSUED
                )
        time.sleep(max(0.0, self.settings.forgot_answer_time.total_seconds() - (time.monotonic() - started)))
        return {"status": "sent"}

    def _reset_wait(self, session, account, now: datetime):
        # Every reset code counts towards the hourly limit: none is given for free, as the code
        # sent at registration is.
        return resend_wait(
            repository.last_code_issued_at(session, account.id, PASSWORD_RESET),
            repository.resends_since(session, account.id, now - HOUR, RESET_REASON),
            self.settings.codes,
            now,
        )

    def reset_password(self, email: str, code: str, password: str) -> dict:
        """The code, used once, sets the new password and ends every session. The policy is
        checked first, so a weak password spends no try. An address without an account, or
        without a reset code, is answered like a wrong code."""
        passwords.check_password_policy(password, email)
        policy, hasher, now = self.settings.codes, self.accounts.code_hasher(), self.accounts.clock()
        password_hash = passwords.hash_password(password)
        with self.db.transaction() as session:
            account = repository.account_by_email(session, email, for_update=True)
            found = repository.current_code(session, account.id, PASSWORD_RESET) if account is not None else None
            if found is None:
                failure: WrongCode | None = WrongCode(policy.max_attempts - 1)
            else:
                failure = self.accounts.spend_code(session, found, code, hasher, now)
                if failure is None:
                    repository.replace_password(session, account.id, password_hash)
        if failure is not None:
            raise failure
        return {"status": "password_changed"}

    # --- the account holder, logged in ----------------------------------------------------------------
    def change_password(self, principal: Principal, current_password: str, password: str) -> dict:
        """The current password is required (a wrong one counts as a failed login); the new one
        ends every other session, and the answer is a token for this one."""
        throttle, now = self.settings.logins, self.accounts.clock()
        with self.db.transaction() as session:
            account = self._current(session, principal)
            wait = throttle.wait(repository.login_attempts_since(session, account.email, now - throttle.window), now)
            if wait is not None:
                raise RetryLater("too_many_attempts", "too many failed logins; try again later", wait)
            right = passwords.verify_password(account.password_hash, current_password)
            repository.record_login_attempt(session, account.email, now, right, keep_since=now - throttle.window)
        if not right:
            raise WrongPassword()
        passwords.check_password_policy(password, account.email)
        with self.db.transaction() as session:
            repository.replace_password(session, account.id, passwords.hash_password(password))
            account = repository.account_by_id(session, account.id)
        return self.accounts.issue_token(account, now)

    def renew_session(self, principal: Principal) -> dict:
        """A fresh token for a current one, within the session's maximum age."""
        now = self.accounts.clock()
        with self.db.transaction() as session:
            account = self._current(session, principal)
        authenticated_at = datetime.fromtimestamp(principal.claims.get("auth_time") or 0, now.tzinfo)
        if not sessions.may_renew(authenticated_at, now, self.settings.session_max_age):
            raise SessionEnded("the session is too old to renew; log in again")
        return self.accounts.issue_token(account, now, authenticated_at)

    def set_language(self, principal: Principal, language: str) -> dict:
        with self.db.transaction() as session:
            account = self._current(session, principal)
            repository.set_language(session, account.id, language)
            return account_view(repository.account_by_id(session, account.id))

    def ensure_current(self, principal: Principal) -> None:
        """401 `session_ended` for a token issued before the account's last reset or change of password."""
        with self.db.transaction() as session:
            self._current(session, principal)

    @staticmethod
    def _current(session, principal: Principal):
        account = repository.account_by_id(session, principal.id)
        if account is None or not sessions.is_current(principal.claims.get("sv"), account.session_version):
            raise SessionEnded()
        return account

    # --- staff ------------------------------------------------------------------------------------
    def find_accounts(self, ids: list[str], national_id: str | None, name: str | None) -> list[dict]:
        with self.db.transaction() as session:
            found = repository.find_accounts(session, ids=ids, national_id=national_id, name=name)
        return [account_view(account) for account in found]
