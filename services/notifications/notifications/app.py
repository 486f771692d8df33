from flask import Flask

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import jwks_url
from mumaris_shared.runtime import Runtime
from mumaris_shared.web import create_service_app

from .api import blueprint
from .bootstrap import SERVICE
from .bootstrap import runtime as default_runtime


def create_app(runtime: Runtime | None = None, verifier: TokenVerifier | None = None) -> Flask:
    runtime = runtime or default_runtime()
    return create_service_app(
        SERVICE,
        db=runtime.db,
        outbox=runtime.outbox,
        verifier=verifier or TokenVerifier(jwks_url=jwks_url()),
        blueprints=[blueprint],
        description="E-mails in Arabic and English, each sent once, and their delivery log",
    )
