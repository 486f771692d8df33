"""Reading and writing the accounts tables inside a caller's transaction."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mumaris_shared.db import Database, claim

from ..domain.accounts import PENDING_VERIFICATION
from ..domain.codes import IssuedCode
from .orm import accounts_table as accounts
from .orm import code_requests_table as requests
from .orm import login_failures_table as logins
from .orm import server_secrets_table as secrets_table
from .orm import verification_codes_table as codes


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


# --- verification codes ---------------------------------------------------------------------------
def issue_code(
    session: Session, account_id: str, code_hash: str, reason: str, now: datetime, expires_at: datetime
) -> None:
    """The new code becomes the account's only valid one: every earlier code is voided."""
    session.execute(
        update(codes)
        .where(codes.c.account_id == account_id, codes.c.voided_at.is_(None), codes.c.used_at.is_(None))
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
        )
    )


def current_code(session: Session, account_id: str) -> tuple[int, IssuedCode] | None:
    row = session.execute(
        select(codes)
        .where(codes.c.account_id == account_id, codes.c.voided_at.is_(None), codes.c.used_at.is_(None))
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


def last_code_issued_at(session: Session, account_id: str) -> datetime | None:
    return session.execute(select(func.max(codes.c.issued_at)).where(codes.c.account_id == account_id)).scalar()


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
    with db.transaction() as session:
        value = session.execute(select(secrets_table.c.value).where(secrets_table.c.name == name)).scalar()
    if value is not None:
        return value
    try:
        with db.transaction() as session:
            session.execute(insert(secrets_table).values(name=name, value=secrets.token_hex(32), created_at=now))
    except IntegrityError:
        pass  # another replica made it first: use theirs
    with db.transaction() as session:
        return session.execute(select(secrets_table.c.value).where(secrets_table.c.name == name)).scalar_one()
