from mumaris_shared.runtime import Runtime

from .adapters.orm import inbox_table, outbox_table

SERVICE = "notifications"


def runtime(url: str | None = None) -> Runtime:
    return Runtime.create(SERVICE, outbox_table, inbox_table, url)
