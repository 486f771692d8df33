from mumaris_shared.runtime import Runtime

from .adapters.orm import inbox_table, outbox_table
from .settings import MOYASAR_SECRET_KEY, MOYASAR_WEBHOOK_SECRET, PAYMENT_PROVIDER

SERVICE = "billing"
# What production checks before any process of the service starts, besides its broker password
# (mumaris_shared.runtime.check_settings).
# Production's provider is Moyasar (the sandbox is refused), so its secrets are required there.
PRODUCTION_CHECKS = (PAYMENT_PROVIDER, MOYASAR_SECRET_KEY, MOYASAR_WEBHOOK_SECRET)


def runtime(url: str | None = None) -> Runtime:
    return Runtime.create(SERVICE, outbox_table, inbox_table, url, PRODUCTION_CHECKS)
