"""Reading and writing the accounts tables inside a caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.db import Database, claim
from mumaris_shared.db import server_secret as shared_server_secret

from ..domain.accounts import PENDING_VERIFICATION
from ..domain.codes import ACTIVATION, IssuedCode
from .orm import accounts_table as accounts
from .orm import code_requests_table as requests
from .orm import login_failures_table as logins
from .orm import server_secrets_table as secrets_table
from .orm import verification_codes_table as codes

SEARCH_LIMIT = 100


# --- accounts -----------------------------------------------------------------------------------
def account_by_email(session: Session, email: str, for_update: bool = False) -> Row | None:
    statement = select(accounts).where(accounts.c.email == email)
    if for_update:  # serialises concurrent tries on one account (PostgreSQL; SQLite is serial anyway)
        statement = statement.with_for_update()
    return session.execute(statement).first()


def account_by_id(session: Session, account_id: str) -> Row | None:
    return session.execute(select(accounts).where(accounts.c.id == account_id)).first()


def add_account(session: Session, **values) -> Row:
    values = {"id": str(uuid.uuid4()), "activated_at": None, **values}
    session.execute(insert(accounts).values(**values))
    return account_by_id(session, values["id"])


def claim_pending_registered_by(session: Session, db: Database, moment: datetime, limit: int) -> list[str]:
    """Ids of accounts still pending that registered by `moment`, claimed so that two
    schedulers never take the same ones."""
    rows = claim(
        session,
        db,
        accounts,
        accounts.c.status == PENDING_VERIFICATION,
        accounts.c.created_at <= moment,
        order_by=accounts.c.created_at,
        limit=limit,
    )
    return [row.id for row in rows]


def delete_accounts(session: Session, account_ids: list[str]) -> None:
    session.execute(delete(codes).where(codes.c.account_id.in_(account_ids)))
    session.execute(delete(accounts).where(accounts.c.id.in_(account_ids)))


def activate(session: Session, account_id: str, status: str, now: datetime) -> None:
    session.execute(update(accounts).where(accounts.c.id == account_id).values(status=status, activated_at=now))


def set_password_hash(session: Session, account_id: str, password_hash: str) -> None:
    session.execute(update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash))


def replace_password(session: Session, account_id: str, password_hash: str) -> None:
    """A new password, and every token issued before it stops being current (domain/sessions.py)."""
    session.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(password_hash=password_hash, session_version=accounts.c.session_version + 1)
    )


def set_language(session: Session, account_id: str, language: str) -> None:
    session.execute(update(accounts).where(accounts.c.id == account_id).values(language=language))


def find_accounts(
    session: Session, *, ids: list[str] | None = None, national_id: str | None = None, name: str | None = None
) -> list[Row]:
    """Accounts matching every filter given (a name matches any part of the full name, ignoring
    case), by name; at most `SEARCH_LIMIT`."""
    statement = select(accounts)
    if ids:
        statement = statement.where(accounts.c.id.in_(ids))
    if national_id:
        statement = statement.where(accounts.c.national_id == national_id)
    if name:
        statement = statement.where(func.lower(accounts.c.full_name).contains(name.lower(), autoescape=True))
    return list(session.execute(statement.order_by(accounts.c.full_name, accounts.c.id).limit(SEARCH_LIMIT)))


# --- verification codes ---------------------------------------------------------------------------
def issue_code(
    session: Session,
    account_id: str,
    code_hash: str,
    reason: str,
    now: datetime,
    expires_at: datetime,
    purpose: str = ACTIVATION,
) -> None:
    """The new code becomes the account's only valid one for its purpose: every earlier one is voided."""
    session.execute(
        update(codes)
        .where(
            codes.c.account_id == account_id,
            codes.c.purpose == purpose,
            codes.c.voided_at.is_(None),
            codes.c.used_at.is_(None),
        )
        .values(voided_at=now)
    )
    session.execute(
        insert(codes).values(
            account_id=account_id,
            code_hash=code_hash,
            reason=reason,
            issued_at=now,
            expires_at=expires_at,
            failed_attempts=0,
            purpose=purpose,
        )
    )


def current_code(session: Session, account_id: str, purpose: str = ACTIVATION) -> tuple[int, IssuedCode] | None:
    row = session.execute(
        select(codes)
        .where(
            codes.c.account_id == account_id,
            codes.c.purpose == purpose,
            codes.c.voided_at.is_(None),
            codes.c.used_at.is_(None),
        )
        .order_by(codes.c.issued_at.desc(), codes.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return row.id, IssuedCode(code_hash=row.code_hash, expires_at=row.expires_at, failed_attempts=row.failed_attempts)


def count_wrong_try(session: Session, code_id: int) -> None:
    session.execute(update(codes).where(codes.c.id == code_id).values(failed_attempts=codes.c.failed_attempts + 1))


def use_code(session: Session, code_id: int, now: datetime) -> None:
    session.execute(update(codes).where(codes.c.id == code_id).values(used_at=now))


def last_code_issued_at(session: Session, account_id: str, purpose: str = ACTIVATION) -> datetime | None:
    return session.execute(
        select(func.max(codes.c.issued_at)).where(codes.c.account_id == account_id, codes.c.purpose == purpose)
    ).scalar()


def resends_since(session: Session, account_id: str, since: datetime, reason: str = "resend") -> list[datetime]:
    """When the account's codes given for `reason` were issued since `since`."""
    return list(
        session.execute(
            select(codes.c.issued_at).where(
                codes.c.account_id == account_id, codes.c.reason == reason, codes.c.issued_at > since
            )
        ).scalars()
    )


# --- failed logins and code requests ---------------------------------------------------------------
def login_failures_since(session: Session, client: str, since: datetime) -> list[datetime]:
    return list(
        session.execute(
            select(logins.c.failed_at).where(logins.c.client == client, logins.c.failed_at > since)
        ).scalars()
    )


def record_login_failure(session: Session, client: str, now: datetime, keep_since: datetime) -> None:
    """Record a failure and forget this address's older than `keep_since`: no rule looks further back."""
    session.execute(delete(logins).where(logins.c.client == client, logins.c.failed_at <= keep_since))
    session.execute(insert(logins).values(client=client, failed_at=now))


def code_requests_since(session: Session, email: str, since: datetime) -> list[datetime]:
    return list(
        session.execute(
            select(requests.c.requested_at).where(requests.c.email == email, requests.c.requested_at > since)
        ).scalars()
    )


def record_code_request(session: Session, email: str, now: datetime) -> None:
    session.execute(insert(requests).values(email=email, requested_at=now))


def forget_attempts(session: Session, failed_before: datetime, requested_before: datetime) -> int:
    """Failed logins and code requests no rule looks at any more; how many were deleted."""
    failed = session.execute(delete(logins).where(logins.c.failed_at <= failed_before))
    requested = session.execute(delete(requests).where(requests.c.requested_at <= requested_before))
    return failed.rowcount + requested.rowcount


# --- server secrets -------------------------------------------------------------------------------
def server_secret(db: Database, name: str, now: datetime) -> str:
    """The secret called `name`, made at first need and then shared by every replica."""
    return shared_server_secret(db, secrets_table, name, now)
