from collections.abc import Callable
from datetime import datetime

from flask import Flask

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import jwks_url
from mumaris_shared.runtime import Runtime
from mumaris_shared.web import create_service_app

from .api import SERVICE_EXTENSION, blueprint
from .bootstrap import SERVICE
from .bootstrap import runtime as default_runtime
from .service import ApplicationService


def create_app(
    runtime: Runtime | None = None, verifier: TokenVerifier | None = None, clock: Callable[[], datetime] | None = None
) -> Flask:
    """`clock` replaces the current time of the requests' changes (tests of the queue's waiting times)."""
    runtime = runtime or default_runtime()
    app = create_service_app(
        SERVICE,
        db=runtime.db,
        outbox=runtime.outbox,
        verifier=verifier or TokenVerifier(jwks_url=jwks_url()),
        blueprints=[blueprint],
    )
    app.extensions[SERVICE_EXTENSION] = ApplicationService(runtime, clock)
    return app
