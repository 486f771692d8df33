"""Bearer tokens: accounts signs them (RS256, short-lived); every service verifies them locally
against the accounts JWKS and checks roles. The algorithm is pinned, so `alg: none` and
HMAC-with-the-public-key tricks are refused."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import jwt
from flask import current_app, g, request

from .config import TOKEN_AUDIENCE, TOKEN_ISSUER, jwks_refresh
from .errors import Forbidden, Unauthenticated, Unavailable

ALGORITHM = "RS256"
# At most this many verified tokens are remembered (a few MB): past it, the memory starts again.
VERIFIED_TOKENS_KEPT = 1024

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
    national_id: str | None = None  # the person's, as accounts holds it: staff are people too
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # all of the token's, as signed

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    def may_see(self, owner_id: str) -> bool:
        """What belongs to someone is seen by its owner and by staff, by nobody else."""
        return self.id == owner_id or self.has_role(*STAFF_ROLES)


UNKNOWN_KID_COOLDOWN = 1.0  # seconds


class TokenVerifier:
    """Verifies tokens with keys found by `kid`: from a JWKS URL (other services) or a local
    lookup function (accounts itself)."""

    def __init__(
        self,
        jwks_url: str | None = None,
        key_for_kid: Callable[[str], object] | None = None,
        refresh: timedelta | None = None,
    ):
        """`refresh` (ACCOUNTS_JWKS_REFRESH, PT1M): the JWKS is read again at most this long after
        the last read, so a key accounts revoked stops verifying within it. Keys are not cached
        apart from the set (PyJWKClient's `cache_keys` would keep a revoked key for good); a kid
        not in the set makes it read again at once (a key made since)."""
        if (jwks_url is None) == (key_for_kid is None):
            raise ValueError("give exactly one of jwks_url, key_for_kid")
        lifespan = (refresh or jwks_refresh()).total_seconds()
        # A kid not in the set reads it again at once, then at most once a second (PyJWT's default
        # waits 30 s, refusing a rotated key's first tokens meanwhile); a second guards accounts
        # against tokens naming made-up kids.
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=lifespan, cooldown_duration=UNKNOWN_KID_COOLDOWN)
            if jwks_url
            else None
        )
        self._key_for_kid = key_for_kid
        # Tokens already verified against the key set read last, with whom they name. A caller sends
        # the same token with every request until it expires, and verifying it again (decoding it
        # three times, the RSA signature) was most of a look-up's own work. The set is the one the
        # token would be verified against now: a new read of the set (every `refresh`) empties this,
        # so a revoked key stops verifying exactly as soon as without it.
        self._verified: dict[str, Principal] = {}
        self._verified_against: object | None = None

    def verify(self, token: str) -> Principal:
        keys = self._keys_read()
        if keys is not None and keys is self._verified_against:
            known = self._verified.get(token)
            if known is not None and time.time() < known.claims["exp"]:
                return known
        principal = self._verify(token)
        # Remembered under the set it was verified against: the one read before, or, when there was
        # none (never read, or past `refresh`), the one verifying it has just read.
        read = self._keys_read()
        if read is not None and (keys is None or read is keys):
            if read is not self._verified_against or len(self._verified) >= VERIFIED_TOKENS_KEPT:
                self._verified, self._verified_against = {}, read
            self._verified[token] = principal
        return principal

    def _keys_read(self) -> object | None:
        """The key set as last read from the JWKS while it is current; None when there is none."""
        cache = self._jwks.jwk_set_cache if self._jwks is not None else None
        return cache.get() if cache is not None else None

    def _verify(self, token: str) -> Principal:
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
        except (jwt.InvalidTokenError, jwt.PyJWKClientError, jwt.PyJWKSetError, KeyError, ValueError):
            raise Unauthenticated("the token is invalid", code="invalid_token") from None
        return Principal(
            id=claims["sub"],
            roles=tuple(claims.get("roles", ())),
            email=claims.get("email"),
            national_id=claims.get("national_id"),
            claims=claims,
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


class OwnCase(Forbidden):
    code = "own_case"


class NoNationalId(Forbidden):
    code = "national_id_missing"


def refuse_own_case(staff: Principal, what: str, applicant_id: str, applicant_national_id: str | None) -> None:
    """Nobody takes or decides a request, an exemption or a data update whose applicant is
    themselves: the staff member's national ID (from their token) is compared with the applicant's
    (recorded with the case), and their account with the applicant's. A staff member with no
    national ID on record cannot be told apart from an applicant, so decides nothing."""
    if staff.national_id is None:
        raise NoNationalId("your staff account has no national ID on record; ask for it to be recorded")
    if staff.id == applicant_id or staff.national_id == applicant_national_id:
        raise OwnCase(f"this {what} is your own: another member of staff must handle it")
