"""What the accounts service does, one method per use: each runs in one transaction, publishes
its events through the outbox in that transaction, and refuses with a `domain.errors` exception.

Failures roll back everything, except the two that must be remembered for the limits to mean
anything: a wrong verification code spends a try, and a failed login is recorded."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import jwt
from sqlalchemy.exc import IntegrityError

from mumaris_shared.auth import ALGORITHM, APPLICANT, STAFF_ROLES
from mumaris_shared.config import TOKEN_AUDIENCE, TOKEN_ISSUER
from mumaris_shared.contracts import ACCOUNT_ACTIVATED, ACCOUNT_REGISTERED, VERIFICATION_CODE_ISSUED
from mumaris_shared.events import isoformat, utcnow
from mumaris_shared.runtime import Runtime

from .adapters import repository
from .adapters.keys import KeyStore
from .domain import passwords
from .domain.accounts import ACTIVE, PENDING_VERIFICATION
from .domain.codes import ACTIVATION, HOUR, CodeHasher, IssuedCode, Verdict, check_code, new_code, resend_wait
from .domain.errors import (
    AccountGone,
    AlreadyActive,
    CodeExpired,
    EmailTaken,
    InvalidCredentials,
    NotActive,
    NotAStaffRole,
    RetryLater,
    TooManyCodeAttempts,
    WrongCode,
)
from .settings import Settings

CODE_SECRET_NAME = "verification_code_hmac"


class AccountService:
    def __init__(
        self,
        runtime: Runtime,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        keys: KeyStore | None = None,
    ):
        self.db = runtime.db
        self.outbox = runtime.outbox
        self.settings = settings or Settings.from_env()
        self.clock = clock or utcnow
        self.keys = keys or KeyStore(self.db)
        self._code_hasher: CodeHasher | None = None

    # --- registration and activation --------------------------------------------------------------
    def register(
        self, *, full_name: str, email: str, password: str, national_id: str, mobile: str, language: str
    ) -> dict:
        """A pending account and its first code; inputs already normalised by the API schema."""
        account = self._create(
            email=email,
            password=password,
            full_name=full_name,
            language=language,
            roles=[APPLICANT],
            status=PENDING_VERIFICATION,
            national_id=national_id,
            mobile=mobile,
        )
        return {"id": account.id, "email": account.email, "status": account.status}

    def create_staff(self, *, email: str, password: str, role: str, full_name: str, language: str) -> str:
        """An active staff account, announced to the other services as registered and activated."""
        if role not in STAFF_ROLES:
            raise NotAStaffRole(STAFF_ROLES)
        return self._create(
            email=email,
            password=password,
            full_name=full_name,
            language=language,
            roles=[role],
            status=ACTIVE,
            national_id=None,
            mobile=None,
        ).id

    def _create(self, *, email: str, password: str, status: str, **values):
        passwords.check_password_policy(password, email)
        hasher = self.code_hasher() if status == PENDING_VERIFICATION else None
        password_hash = passwords.hash_password(password)
        now = self.clock()
        try:
            with self.db.transaction() as session:
                if repository.account_by_email(session, email) is not None:
                    raise EmailTaken()
                account = repository.add_account(
                    session, email=email, password_hash=password_hash, status=status, created_at=now, **values
                )
                self.outbox.publish(session, ACCOUNT_REGISTERED, _account_data(account))
                if status == ACTIVE:
                    repository.activate(session, account.id, ACTIVE, now)
                    self.outbox.publish(session, ACCOUNT_ACTIVATED, _account_data(account))
                else:
                    self.issue_code(session, hasher, account, "registration", now)
        except IntegrityError:
            raise EmailTaken() from None  # a concurrent registration of the address won
        return account

    def verify(self, email: str, code: str) -> dict:
        policy, hasher, now = self.settings.codes, self.code_hasher(), self.clock()
        with self.db.transaction() as session:
            account = repository.account_by_email(session, email, for_update=True)
            if account is None:
                # Answered like a wrong code, so the answer does not tell whether the address has an account.
                failure = WrongCode(policy.max_attempts - 1)
            elif account.status == ACTIVE:
                raise AlreadyActive()
            else:
                failure = self.spend_code(session, repository.current_code(session, account.id), code, hasher, now)
                if failure is None:
                    repository.activate(session, account.id, ACTIVE, now)
                    self.outbox.publish(session, ACCOUNT_ACTIVATED, _account_data(account))
        if failure is not None:
            raise failure
        return {"status": ACTIVE}

    def spend_code(
        self, session, found: tuple[int, IssuedCode] | None, code: str, hasher: CodeHasher, now: datetime
    ) -> WrongCode | None:
        """One try of `code` against the account's current code (`found`, of any purpose). A
        right code is used (None); a wrong one spends a try and is returned, for the caller to
        raise once the try is committed; an exhausted or expired code is refused at once."""
        code_id, issued = found or (None, None)
        check = check_code(issued, code, hasher, self.settings.codes, now)
        if check.verdict is Verdict.EXHAUSTED:
            raise TooManyCodeAttempts()
        if check.verdict is Verdict.EXPIRED:
            raise CodeExpired()
        if check.verdict is Verdict.WRONG:
            repository.count_wrong_try(session, code_id)
            return WrongCode(check.attempts_left)
        repository.use_code(session, code_id, now)
        return None

    def resend_code(self, email: str) -> dict:
        """A new code for a pending account; for any other address nothing happens, and the
        answer is the same, so it does not tell which addresses have accounts."""
        policy, hasher, now = self.settings.codes, self.code_hasher(), self.clock()
        with self.db.transaction() as session:
            account = repository.account_by_email(session, email, for_update=True)
            if account is not None and account.status == PENDING_VERIFICATION:
                wait = resend_wait(
                    repository.last_code_issued_at(session, account.id),
                    repository.resends_since(session, account.id, now - HOUR),
                    policy,
                    now,
                )
                if wait is not None:
                    raise RetryLater("too_soon", "a code was sent moments ago; wait before asking again", wait)
                self.issue_code(session, hasher, account, "resend", now)
        return {"status": "sent"}

    def issue_code(
        self,
        session,
        hasher: CodeHasher,
        account,
        reason: str,
        now: datetime,
        purpose: str = ACTIVATION,
        event_type: str = VERIFICATION_CODE_ISSUED,
    ) -> None:
        """A new code for `purpose`, its hash stored and the code itself e-mailed (by event)."""
        policy, code = self.settings.codes, new_code()
        expires_at = now + policy.ttl
        repository.issue_code(session, account.id, hasher.hash(code), reason, now, expires_at, purpose)
        self.outbox.publish(
            session,
            event_type,
            {
                **_account_data(account),
                "code": code,
                "expires_at": isoformat(expires_at),
                "valid_minutes": policy.valid_minutes,
            },
        )

    def code_hasher(self) -> CodeHasher:
        # Fetched before the caller's transaction opens: on SQLite a second one would wait for it.
        if self._code_hasher is None:
            secret = self.settings.code_secret or repository.server_secret(self.db, CODE_SECRET_NAME, utcnow())
            self._code_hasher = CodeHasher(secret.encode())
        return self._code_hasher

    # --- sessions -------------------------------------------------------------------------------
    def login(self, email: str, password: str) -> dict:
        throttle, now = self.settings.logins, self.clock()
        with self.db.transaction() as session:
            wait = throttle.wait(repository.login_attempts_since(session, email, now - throttle.window), now)
            if wait is not None:
                raise RetryLater("too_many_attempts", "too many failed logins; try again later", wait)
            account = repository.account_by_email(session, email)
            if account is None:
                right = passwords.verify_without_account(password)
            else:
                right = passwords.verify_password(account.password_hash, password)
            repository.record_login_attempt(session, email, now, right, keep_since=now - throttle.window)
            if right and passwords.needs_rehash(account.password_hash):
                repository.set_password_hash(session, account.id, passwords.hash_password(password))
        if not right:
            raise InvalidCredentials()
        if account.status != ACTIVE:
            raise NotActive()
        return self.issue_token(account, now)

    def issue_token(self, account, now: datetime, authenticated_at: datetime | None = None) -> dict:
        """A signed token for `account`; `authenticated_at` is when the password was typed (now, at
        login). It carries the account's session version (`sv`, domain/sessions.py)."""
        kid, key = self.keys.signing_key()
        ttl = self.settings.token_ttl
        claims = {
            "iss": TOKEN_ISSUER,
            "aud": TOKEN_AUDIENCE,
            "sub": account.id,
            "email": account.email,
            "roles": list(account.roles),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "auth_time": int((authenticated_at or now).timestamp()),
            "sv": account.session_version,
            "jti": str(uuid.uuid4()),
        }
        return {
            "access_token": jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid}),
            "token_type": "Bearer",
            "expires_in": int(ttl.total_seconds()),
        }

    def me(self, account_id: str) -> dict:
        with self.db.transaction() as session:
            account = repository.account_by_id(session, account_id)
        if account is None:
            raise AccountGone()
        return account_view(account)


def account_view(account) -> dict:
    """An account as its holder (or staff) reads it: never its password hash or codes."""
    return {
        "id": account.id,
        "full_name": account.full_name,
        "email": account.email,
        "roles": list(account.roles),
        "language": account.language,
        "status": account.status,
        "mobile": account.mobile,
        "national_id": account.national_id,
    }


def _account_data(account) -> dict:
    """The `accounts.*` event data (contracts.AccountData), with the roles so services tell staff apart."""
    return {
        "account_id": account.id,
        "email": account.email,
        "full_name": account.full_name,
        "language": account.language,
        "roles": list(account.roles),
    }
