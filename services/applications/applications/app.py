from collections.abc import Callable
from datetime import datetime

from flask import Flask

from mumaris_shared.auth import TokenVerifier
from mumaris_shared.config import jwks_url
from mumaris_shared.runtime import Runtime
from mumaris_shared.web import create_service_app

from .api import ANSWERS_EXTENSION, BLUEPRINTS, SERVICE_EXTENSION, new_kept_answers
from .bootstrap import SERVICE
from .bootstrap import runtime as default_runtime
from .domain.documents import MAX_SIZE
from .service import ApplicationService


def create_app(
    runtime: Runtime | None = None,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] | None = None,
    service: ApplicationService | None = None,
) -> Flask:
    """`clock` replaces the current time of the requests' changes (tests of the queue's waiting
    times); `service` the service itself (tests with other settings or storage)."""
    runtime = runtime or default_runtime()
    app = create_service_app(
        SERVICE,
        db=runtime.db,
        outbox=runtime.outbox,
        verifier=verifier or TokenVerifier(jwks_url=jwks_url()),
        blueprints=BLUEPRINTS,
    )
    # Uploads are at most 10 MB (domain/documents.py, refused with 422 beyond); the body may carry
    # a little more (the multipart envelope), anything larger is 413 before it is read.
    app.config["MAX_CONTENT_LENGTH"] = MAX_SIZE + 1024 * 1024
    app.extensions[SERVICE_EXTENSION] = service or ApplicationService(runtime, clock)
    app.extensions[ANSWERS_EXTENSION] = new_kept_answers()
    return app
