"""The RS256 keys tokens are signed with, kept in the service's database (sealed: adapters/sealing.py)
so that every replica signs with, and publishes, the same keys. The first key is made at first need.

Rotation (`python -m accounts.cli rotate-keys`): a new key signs from now on; the keys it replaces
are retired but stay published until the last token they signed has expired (the token lifetime,
and a minute's margin for a token signed as the rotation committed), then leave the JWKS and are
deleted at the next rotation. Revocation (`revoke-key`): the key leaves the JWKS at once and is
deleted; verifiers, which read the JWKS again every ACCOUNTS_JWKS_REFRESH, stop accepting its
tokens within that time (accounts' own verifier too)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from mumaris_shared.auth import ALGORITHM
from mumaris_shared.db import Database

from .orm import signing_keys_table as keys
from .sealing import KeySealer

KEY_SIZE = 2048
# The PostgreSQL advisory lock that the making of the first key holds (any number: only accounts' own
# database has it).
FIRST_KEY_LOCK = 0x6D756D6B
RETIREMENT_MARGIN = timedelta(minutes=1)


class KeyStore:
    def __init__(
        self,
        db: Database,
        sealer: KeySealer,
        token_ttl: timedelta,
        refresh: timedelta,
        clock: Callable[[], datetime],
    ):
        self.db = db
        self.sealer = sealer
        self.verify_window = token_ttl + RETIREMENT_MARGIN
        self.refresh = refresh.total_seconds()
        self.clock = clock
        self._lock = threading.Lock()
        self._private: dict[str, rsa.RSAPrivateKey] = {}
        self._published: tuple[float, dict[str, rsa.RSAPublicKey]] | None = None

    # --- signing --------------------------------------------------------------------------------------
    def signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        """(kid, private key) of the newest key still signing, made now if there is none. Read
        for each token, so a rotation takes effect on every replica at once."""
        row = self._newest_signing() or self._create(first=True)
        return row.kid, self._open(row)

    def rotate(self) -> tuple[str, list[str]]:
        """A new key signs from now on; the ones it replaces retire. Keys whose last token has
        expired are deleted. Answers the new kid and the kids retired now."""
        now = self.clock()
        kid = self._create().kid
        with self.db.transaction() as session:
            retired = list(
                session.execute(
                    update(keys)
                    .where(keys.c.retired_at.is_(None), keys.c.kid != kid)
                    .values(retired_at=now)
                    .returning(keys.c.kid)
                ).scalars()
            )
            session.execute(delete(keys).where(keys.c.retired_at <= now - self.verify_window))
        self._published = None
        return kid, retired

    def revoke(self, kid: str) -> bool:
        """The key stops verifying and signing now (here; elsewhere within the JWKS refresh)."""
        with self.db.transaction() as session:
            gone = session.execute(delete(keys).where(keys.c.kid == kid)).rowcount > 0
        self._private.pop(kid, None)
        self._published = None
        return gone

    # --- verifying --------------------------------------------------------------------------------------
    def public_key(self, kid: str) -> rsa.RSAPublicKey:
        """The public half of key `kid` if it is published; KeyError otherwise. What is published
        is read again every refresh, as the other services' verifiers read the JWKS."""
        published = self._published_keys()
        if kid not in published:
            published = self._published_keys(again=True)  # a key made since the last read
        return published[kid]

    def jwks(self) -> dict[str, Any]:
        self.signing_key()
        return {"keys": [public_jwk(kid, public) for kid, public in self._published_keys(again=True).items()]}

    def _published_keys(self, again: bool = False) -> dict[str, rsa.RSAPublicKey]:
        with self._lock:
            cached = self._published
            if again or cached is None or time.monotonic() - cached[0] > self.refresh:
                with self.db.transaction() as session:
                    rows = session.execute(
                        select(keys)
                        .where(or_(keys.c.retired_at.is_(None), keys.c.retired_at > self.clock() - self.verify_window))
                        .order_by(keys.c.created_at)
                    ).all()
                cached = time.monotonic(), {row.kid: self._open(row).public_key() for row in rows}
                self._published = cached
            return cached[1]

    # --- storage ------------------------------------------------------------------------------------------
    def _open(self, row: Row[Any]) -> rsa.RSAPrivateKey:
        if row.kid not in self._private:
            loaded = serialization.load_pem_private_key(self.sealer.open(row.kid, row.private_key), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"signing key {row.kid} is not an RSA key")
            self._private[row.kid] = loaded
        return self._private[row.kid]

    def _newest_signing(self, session: Session | None = None) -> Row[Any] | None:
        if session is None:
            with self.db.transaction() as session:
                return self._newest_signing(session)
        return session.execute(
            select(keys).where(keys.c.retired_at.is_(None)).order_by(keys.c.created_at.desc()).limit(1)
        ).first()

    def _create(self, first: bool = False) -> Row[Any]:
        """A new key. The `first` is made once, whichever of several processes (a web process's
        workers, replicas) needs one at the same moment: the others wait and sign with it. Two
        first keys would each sign tokens, and a verifier that read the keys between the two
        would refuse the second's tokens until it read them again."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        kid = uuid.uuid4().hex
        with self.db.transaction() as session:  # on SQLite, the write lock serialises it already
            if first:
                if self.db.is_postgres:
                    session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": FIRST_KEY_LOCK})
                made = self._newest_signing(session)
                if made is not None:
                    return made
            session.execute(
                insert(keys).values(kid=kid, private_key=self.sealer.seal(kid, pem), created_at=self.clock())
            )
            return session.execute(select(keys).where(keys.c.kid == kid)).one()


def public_jwk(kid: str, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    # Only the RSA members: PyJWT's `key_ops` would duplicate `use`, which RFC 7517 advises against.
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"], "kid": kid, "use": "sig", "alg": ALGORITHM}
