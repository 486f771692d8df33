"""The RS256 keys tokens are signed with, kept in the service's database so that every replica
signs with, and publishes, the same keys. The first key is made at first need.

Every stored key is published in the JWKS, active or not, so that a token signed before a key was
retired keeps verifying until it expires; new tokens are signed with the newest active key."""

from __future__ import annotations

import threading
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import insert, select

from mumaris_shared.auth import ALGORITHM
from mumaris_shared.db import Database
from mumaris_shared.events import utcnow

from .orm import signing_keys_table as keys

KEY_SIZE = 2048


class KeyStore:
    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._signing: tuple[str, rsa.RSAPrivateKey] | None = None
        self._public: dict[str, rsa.RSAPublicKey] = {}

    def signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        """(kid, private key) of the newest active key, made now if there is none."""
        with self._lock:
            if self._signing is None:
                row = self._newest_active() or self._create()
                self._signing = row.kid, _private_key(row.private_pem)
            return self._signing

    def public_key(self, kid: str) -> rsa.RSAPublicKey:
        """The public half of key `kid`; KeyError when there is no such key."""
        if kid not in self._public:
            with self.db.transaction() as session:
                pem = session.execute(select(keys.c.private_pem).where(keys.c.kid == kid)).scalar()
            if pem is None:
                raise KeyError(kid)
            self._public[kid] = _private_key(pem).public_key()
        return self._public[kid]

    def jwks(self) -> dict:
        self.signing_key()
        with self.db.transaction() as session:
            rows = session.execute(select(keys.c.kid).order_by(keys.c.created_at)).all()
        return {"keys": [public_jwk(row.kid, self.public_key(row.kid)) for row in rows]}

    def _newest_active(self):
        with self.db.transaction() as session:
            return session.execute(
                select(keys).where(keys.c.active.is_(True)).order_by(keys.c.created_at.desc()).limit(1)
            ).first()

    def _create(self):
        # Two replicas starting at once may each make one: both are published and both verify.
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        with self.db.transaction() as session:
            session.execute(
                insert(keys).values(kid=uuid.uuid4().hex, private_pem=pem, created_at=utcnow(), active=True)
            )
        return self._newest_active()


def public_jwk(kid: str, public_key: rsa.RSAPublicKey) -> dict:
    # Only the RSA members: PyJWT's `key_ops` would duplicate `use`, which RFC 7517 advises against.
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": jwk["kty"], "n": jwk["n"], "e": jwk["e"], "kid": kid, "use": "sig", "alg": ALGORITHM}


def _private_key(pem: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)
