from mumaris_shared.runtime import Runtime

from .adapters.orm import inbox_table, outbox_table

SERVICE = "accounts"


def runtime(url: str | None = None) -> Runtime:
    return Runtime.create(SERVICE, outbox_table, inbox_table, url)
