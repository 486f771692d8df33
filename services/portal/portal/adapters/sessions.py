"""Server-side sessions. The cookie carries only a random session id (signed); the access token,
the roles and the name stay here. A session lives as long as its token: renewing the token moves
its expiry, and a password reset or change ends every session of the account."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from mumaris_shared.db import Database
from mumaris_shared.events import utcnow

from .orm import sessions_table as sessions


@dataclass(frozen=True)
class PortalSession:
    account_id: str
    email: str
    full_name: str
    roles: tuple[str, ...]
    access_token: str
    expires_at: datetime

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow):
        self.db, self.clock = db, clock

    def create(self, *, account_id: str, email: str, full_name: str, roles, access_token: str, expires_at) -> str:
        """A new session; the id to put in the cookie. Expired sessions are cleared on the way."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        with self.db.transaction() as session:
            session.execute(delete(sessions).where(sessions.c.expires_at <= now))
            session.execute(
                insert(sessions).values(
                    id_hash=_hash(session_id),
                    account_id=account_id,
                    email=email,
                    full_name=full_name,
                    roles=list(roles),
                    access_token=access_token,
                    expires_at=expires_at,
                    created_at=now,
                )
            )
        return session_id

    def get(self, session_id: str) -> PortalSession | None:
        """The session, unless it ended or expired."""
        with self.db.transaction() as session:
            row = session.execute(select(sessions).where(sessions.c.id_hash == _hash(session_id))).first()
        if row is None or row.expires_at <= self.clock():
            return None
        return PortalSession(
            row.account_id, row.email, row.full_name, tuple(row.roles), row.access_token, row.expires_at
        )

    def renew(self, session_id: str, access_token: str, expires_at: datetime) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(sessions)
                .where(sessions.c.id_hash == _hash(session_id))
                .values(access_token=access_token, expires_at=expires_at)
            )

    def end(self, session_id: str) -> None:
        with self.db.transaction() as session:
            session.execute(delete(sessions).where(sessions.c.id_hash == _hash(session_id)))

    def end_all(self, *, email: str | None = None, account_id: str | None = None, but: str | None = None) -> int:
        """End every session of an account (by e-mail address or id), but the one with id `but`."""
        condition = sessions.c.email == email if email is not None else sessions.c.account_id == account_id
        statement = delete(sessions).where(condition)
        if but is not None:
            statement = statement.where(sessions.c.id_hash != _hash(but))
        with self.db.transaction() as session:
            return session.execute(statement).rowcount
