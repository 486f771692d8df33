"""Tokens signed the way accounts signs them, for services under test."""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import TOKEN_AUDIENCE, TOKEN_ISSUER
from mumaris_shared.events import utcnow


class TestTokens:
    """Signs tokens the way accounts does (RS256, issuer, audience, kid), with a key made for the
    test run; `verifier` is what a service under test checks them with."""

    __test__ = False  # not a test class, whatever its name
    KID = "test-key"

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.verifier = TokenVerifier(key_for_kid=lambda kid: {self.KID: self.key.public_key()}[kid])

    def token(self, sub: str, *roles: str, expires_in: float = 300, **claims) -> str:
        now = utcnow()
        return jwt.encode(
            {
                "sub": sub,
                "roles": list(roles),
                "iss": TOKEN_ISSUER,
                "aud": TOKEN_AUDIENCE,
                "iat": now,
                "exp": now.timestamp() + expires_in,
                **claims,
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.KID},
        )

    def bearer(self, sub: str, *roles: str, **claims) -> dict:
        """Headers of a request made by `sub` holding `roles`."""
        return {"Authorization": f"Bearer {self.token(sub, *roles, **claims)}"}
