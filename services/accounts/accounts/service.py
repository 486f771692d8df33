"""What the accounts service does, one method per use: each runs in one transaction, publishes
its events through the outbox in that transaction, and refuses with a `domain.errors` exception.

Failures roll back everything, except what must be remembered for the limits to mean anything: a
wrong verification code spends a try, a failed login is recorded against its client address, and a
code resend against its e-mail address."""

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
from .adapters.sealing import KeySealer, key_encryption_key
from .domain import passwords
from .domain.accounts import ACTIVE, PENDING_VERIFICATION
from .domain.codes import ACTIVATION, HOUR, CodeHasher, IssuedCode, Verdict, check_code, new_code, resend_wait
from .domain.errors import (
    AccountGone,
    CodeExpired,
    EmailTaken,
    InvalidCredentials,
    NotActive,
    NotAStaffRole,
    RetryLater,
    TooManyCodeAttempts,
    WrongCode,
)
from .domain.timing import no_sooner_than
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
        self.keys = keys or KeyStore(
            self.db,
            KeySealer(key_encryption_key(self.settings.key_encryption_key)),
            self.settings.token_ttl,
            self.settings.jwks_refresh,
            self.clock,
        )
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

    def create_staff(
        self, *, email: str, password: str, role: str, full_name: str, language: str, national_id: str
    ) -> str:
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
            national_id=national_id,  # staff decide nothing about themselves (auth.refuse_own_case)
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
        """Activate a pending account with its code. An address with no pending account is
        answered as a wrong code, in the same time (`settings.answer_time`): the answer does not
        tell whether the address has an account, or whether it is active."""
        hasher = self.code_hasher()
        with no_sooner_than(self.settings.answer_time):
            now = self.clock()
            with self.db.transaction() as session:
                account = repository.account_by_email(session, email, for_update=True)
                failure: WrongCode | None = WrongCode()
                if account is not None and account.status == PENDING_VERIFICATION:
                    found = repository.current_code(session, account.id)
                    failure = self.spend_code(session, found, code, hasher, now)
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
        verdict = check_code(issued, code, hasher, self.settings.codes, now)
        if verdict is Verdict.EXHAUSTED:
            raise TooManyCodeAttempts()
        if verdict is Verdict.EXPIRED:
            raise CodeExpired()
        if verdict is Verdict.WRONG:
            repository.count_wrong_try(session, code_id)
            return WrongCode()
        repository.use_code(session, code_id, now)
        return None

    def resend_code(self, email: str) -> dict:
        """A new code for a pending account. Any address is held to the resend limits, and
        answered the same, in the same time, whether a code was sent or not: the answer does not
        tell which addresses have accounts."""
        policy, hasher = self.settings.codes, self.code_hasher()
        with no_sooner_than(self.settings.answer_time):
            now = self.clock()
            with self.db.transaction() as session:
                account = repository.account_by_email(session, email, for_update=True)
                requested = repository.code_requests_since(session, email, now - HOUR)
                # the registration code counts as the latest sent to a pending account
                issued = [repository.last_code_issued_at(session, account.id)] if account is not None else []
                last_sent = max([moment for moment in [*requested, *issued] if moment is not None], default=None)
                wait = resend_wait(last_sent, requested, policy, now)
                if wait is not None:
                    raise RetryLater("too_soon", "a code was sent moments ago; wait before asking again", wait)
                repository.record_code_request(session, email, now)
                if account is not None and account.status == PENDING_VERIFICATION:
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
            expires_at=expires_at,  # the code is not kept, anywhere on its way, past its life
        )

    def code_hasher(self) -> CodeHasher:
        # Fetched before the caller's transaction opens: on SQLite a second one would wait for it.
        if self._code_hasher is None:
            secret = self.settings.code_secret or repository.server_secret(self.db, CODE_SECRET_NAME, utcnow())
            self._code_hasher = CodeHasher(secret.encode())
        return self._code_hasher

    # --- the scheduler ---------------------------------------------------------------------------
    def expire_pending_accounts(self) -> int:
        """Remove one batch of accounts never activated within `pending_ttl`, with their codes:
        their addresses are free to register again. How many were removed."""
        now = self.clock()
        with self.db.transaction() as session:
            expired = repository.claim_pending_registered_by(
                session, self.db, now - self.settings.pending_ttl, self.settings.scheduler_batch
            )
            if expired:
                repository.delete_accounts(session, expired)
        return len(expired)

    def forget_old_attempts(self) -> int:
        """Failed logins and code requests no rule looks at any more are deleted; how many."""
        now = self.clock()
        with self.db.transaction() as session:
            return repository.forget_attempts(session, now - self.settings.logins.window, now - HOUR)

    # --- sessions -------------------------------------------------------------------------------
    def login(self, email: str, password: str, client: str) -> dict:
        """A token for the right password. Failures slow down the address they come from
        (`client`), not the account (domain/throttling.py)."""
        now = self.clock()
        with self.db.transaction() as session:
            self.refuse_throttled(session, client, now)
            account = repository.account_by_email(session, email)
            if account is None:
                right = passwords.verify_without_account(password)
            else:
                right = passwords.verify_password(account.password_hash, password)
            if not right:
                self.record_failed_login(session, client, now)
            elif passwords.needs_rehash(account.password_hash):
                repository.set_password_hash(session, account.id, passwords.hash_password(password))
        if not right:
            raise InvalidCredentials()
        if account.status != ACTIVE:
            raise NotActive()
        return self.issue_token(account, now)

    def refuse_throttled(self, session, client: str, now: datetime) -> None:
        """429 while the client's address has failed too often (the right password too)."""
        throttle = self.settings.logins
        wait = throttle.wait(repository.login_failures_since(session, client, now - throttle.window), now)
        if wait is not None:
            raise RetryLater("too_many_attempts", "too many failed logins from your address; try again later", wait)

    def record_failed_login(self, session, client: str, now: datetime) -> None:
        repository.record_login_failure(session, client, now, keep_since=now - self.settings.logins.window)

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
            # who the person is: no member of staff decides their own case (auth.refuse_own_case)
            **({"national_id": account.national_id} if account.national_id else {}),
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
