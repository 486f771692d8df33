"""What every blueprint of the API shares: the service it calls and the security scheme."""

from flask import current_app

from ..service import ApplicationService

SERVICE_EXTENSION = "applications.service"
BEARER = [{"bearer": []}]


def service() -> ApplicationService:
    return current_app.extensions[SERVICE_EXTENSION]
