from collections.abc import Callable
from datetime import datetime

from flask import Flask

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import jwks_url
from mumaris_shared.runtime import Runtime
from mumaris_shared.web import create_service_app

from .adapters.sandbox import Transport
from .api import SERVICE_EXTENSION, blueprint
from .api.overview import OVERVIEW_EXTENSION, overview
from .bootstrap import SERVICE
from .bootstrap import runtime as default_runtime
from .overview import Overview
from .service import BillingService
from .settings import Settings


def create_app(
    runtime: Runtime | None = None,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
    transport: Transport | None = None,
) -> Flask:
    """`clock` replaces the current time for the rules (deadlines, webhook ages); `transport` is
    how the sandbox provider reaches the webhook (HTTP unless a test routes it elsewhere)."""
    runtime = runtime or default_runtime()
    service = BillingService(runtime, settings or Settings.from_env(), clock, transport)
    app = create_service_app(
        SERVICE,
        db=runtime.db,
        outbox=runtime.outbox,
        verifier=verifier or TokenVerifier(jwks_url=jwks_url()),
        blueprints=[blueprint, overview],
    )
    app.extensions[SERVICE_EXTENSION] = service
    app.extensions[OVERVIEW_EXTENSION] = Overview(runtime.db, service.billing.settings, service.billing.clock)
    return app
