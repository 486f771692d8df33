from collections.abc import Callable
from datetime import datetime

from flask import Flask

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.runtime import Runtime
from mumaris_shared.web import create_service_app

from .api import SERVICE_EXTENSION, blueprint, well_known
from .api.credentials import CREDENTIALS_EXTENSION, credentials
from .bootstrap import SERVICE
from .bootstrap import runtime as default_runtime
from .credentials import CredentialService
from .service import AccountService
from .settings import Settings


def create_app(
    runtime: Runtime | None = None,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
) -> Flask:
    """`clock` replaces the current time for the rules (tests of expiry, throttling) and token times."""
    runtime = runtime or default_runtime()
    service = AccountService(runtime, settings or Settings.from_env(), clock)
    # accounts holds the keys, so it verifies its own tokens without fetching its JWKS over HTTP.
    app = create_service_app(
        SERVICE,
        db=runtime.db,
        outbox=runtime.outbox,
        verifier=verifier or TokenVerifier(key_for_kid=service.keys.public_key),
        blueprints=[blueprint, credentials, well_known],
    )
    app.extensions[SERVICE_EXTENSION] = service
    app.extensions[CREDENTIALS_EXTENSION] = CredentialService(service)
    return app
