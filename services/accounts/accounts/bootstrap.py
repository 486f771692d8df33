from mumaris_shared.runtime import Runtime

from .adapters.orm import inbox_table, outbox_table
from .settings import CODE_SECRET, KEY_ENCRYPTION_KEY

SERVICE = "accounts"
# What production checks before any process of the service starts, besides its broker password
# (mumaris_shared.runtime.check_settings).
PRODUCTION_CHECKS = (CODE_SECRET, KEY_ENCRYPTION_KEY)


def runtime(url: str | None = None) -> Runtime:
    return Runtime.create(SERVICE, outbox_table, inbox_table, url, PRODUCTION_CHECKS)
