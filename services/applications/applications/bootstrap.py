from mumaris_shared.runtime import Runtime

from .adapters.orm import inbox_table, outbox_table
from .settings import DOCUMENT_LINK_SECRET

SERVICE = "applications"
# What production checks before any process of the service starts, besides its broker password
# (mumaris_shared.runtime.check_settings).
PRODUCTION_CHECKS = (DOCUMENT_LINK_SECRET,)


def runtime(url: str | None = None) -> Runtime:
    return Runtime.create(SERVICE, outbox_table, inbox_table, url, PRODUCTION_CHECKS)
