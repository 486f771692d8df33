"""Wiring: the portal's database (sessions) and the clients of the services' APIs."""

from mumaris_shared.config import database_url
from mumaris_shared.db import Database
from mumaris_shared.runtime import check_settings

from .adapters.services import Services
from .settings import SESSION_SECRET, Settings

SERVICE = "portal"
# What production checks before any process of the portal starts (it has no broker user).
PRODUCTION_CHECKS = (SESSION_SECRET,)


def database(url: str | None = None) -> Database:
    check_settings(SERVICE, PRODUCTION_CHECKS)
    return Database(url or database_url(SERVICE))


def services(settings: Settings) -> Services:
    return Services.at(
        settings.accounts_url, settings.applications_url, settings.billing_url, settings.api_timeout_seconds
    )
