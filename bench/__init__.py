"""Benchmarks (`make bench`, `python -m bench.<name>`); what they share."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData

from mumaris_shared.db import messaging_tables
from mumaris_shared.runtime import Runtime


def sqlite_runtime(directory: Path, name: str, service: str = "bench") -> Runtime:
    """A throwaway service with its outbox and inbox, on the SQLite file `<directory>/<name>.db`."""
    metadata = MetaData()
    outbox, inbox = messaging_tables(metadata)
    runtime = Runtime.create(service, outbox, inbox, url=f"sqlite:///{directory / name}.db")
    metadata.create_all(runtime.db.engine)
    return runtime
