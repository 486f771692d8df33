"""Wiring: the portal's database (sessions) and the clients of the services' APIs."""

from mumaris_shared.config import database_url
from mumaris_shared.db import Database

from .adapters.services import Services
from .settings import Settings

SERVICE = "portal"


def database(url: str | None = None) -> Database:
    return Database(url or database_url(SERVICE))


def services(settings: Settings) -> Services:
    return Services.at(
        settings.accounts_url, settings.applications_url, settings.billing_url, settings.api_timeout_seconds
    )
