"""Reading and writing the accounts tables inside a caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.db import Database
from mumaris_shared.db import server_secret as shared_server_secret

from ..domain.codes import ACTIVATION, IssuedCode
from .orm import accounts_table as accounts
from .orm import login_attempts_table as logins
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


# --- login attempts -------------------------------------------------------------------------------
def login_attempts_since(session: Session, email: str, since: datetime) -> list[tuple[datetime, bool]]:
    rows = session.execute(
        select(logins.c.attempted_at, logins.c.succeeded).where(logins.c.email == email, logins.c.attempted_at > since)
    )
    return [(row.attempted_at, row.succeeded) for row in rows]


def record_login_attempt(session: Session, email: str, now: datetime, succeeded: bool, keep_since: datetime) -> None:
    """Record a try and forget this address's tries older than `keep_since`: no rule looks further back."""
    session.execute(delete(logins).where(logins.c.email == email, logins.c.attempted_at <= keep_since))
    session.execute(insert(logins).values(email=email, attempted_at=now, succeeded=succeeded))


# --- server secrets -------------------------------------------------------------------------------
def server_secret(db: Database, name: str, now: datetime) -> str:
    """The secret called `name`, made at first need and then shared by every replica."""
    return shared_server_secret(db, secrets_table, name, now)
