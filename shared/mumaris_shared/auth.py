"""Bearer tokens: accounts signs them (RS256, short-lived); every service verifies them locally
against the accounts JWKS and checks roles. The algorithm is pinned, so `alg: none` and
HMAC-with-the-public-key tricks are refused."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from .config import TOKEN_AUDIENCE, TOKEN_ISSUER
from .errors import Forbidden, Unauthenticated, Unavailable

ALGORITHM = "RS256"

# The roles a token can carry (accounts grants them; every service checks them).
APPLICANT = "applicant"
REVIEWER = "reviewer"
SECRETARY_GENERAL = "secretary_general"
STAFF_ROLES = (REVIEWER, SECRETARY_GENERAL)

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    id: str
    roles: tuple[str, ...]
    email: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # all of the token's, as signed

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def may_see(self, owner_id: str) -> bool:
        """What belongs to someone is seen by its owner and by staff, by nobody else."""
        return self.id == owner_id or self.has_role(*STAFF_ROLES)


class TokenVerifier:
    """Verifies tokens with keys found by `kid`: from a JWKS URL (other services) or a local
    lookup function (accounts itself)."""

    def __init__(self, jwks_url: str | None = None, key_for_kid: Callable[[str], object] | None = None):
        if (jwks_url is None) == (key_for_kid is None):
            raise ValueError("give exactly one of jwks_url, key_for_kid")
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._key_for_kid = key_for_kid

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise Unauthenticated("the token is not signed with the expected algorithm", code="invalid_token")
            key = self._key(header.get("kid"), token)
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=TOKEN_AUDIENCE,
                issuer=TOKEN_ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired; log in again", code="token_expired") from None
        except jwt.PyJWKClientConnectionError:
            raise Unavailable("the signing keys cannot be fetched right now", code="auth_unavailable") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError, KeyError, ValueError):
            raise Unauthenticated("the token is invalid", code="invalid_token") from None
        return Principal(
            id=claims["sub"], roles=tuple(claims.get("roles", ())), email=claims.get("email"), claims=claims
        )

    def _key(self, kid: str | None, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if not kid or self._key_for_kid is None:
            raise KeyError("no kid")
        return self._key_for_kid(kid)


def current_principal() -> Principal:
    """The caller, from `Authorization: Bearer …`; 401 when absent or invalid."""
    if "principal" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("a bearer token is required")
        g.principal = current_app.extensions["mumaris.verifier"].verify(token.strip())
    principal: Principal = g.principal
    return principal


def require_roles(*roles: str) -> Callable[[View], View]:
    """Only callers holding one of `roles` (any authenticated caller when none are named)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if roles and not principal.has_role(*roles):
                raise Forbidden("your role does not allow this", {"required_roles": list(roles)})
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # the same signature, checked first

    return decorator
