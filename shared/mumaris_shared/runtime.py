"""How a service's processes are wired and run: one `Runtime` per service holds its database and
outbox, and the entry points (relay, consumer) run until SIGTERM or Ctrl-C, then stop cleanly."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from .broker import ConfirmingPublisher
from .config import database_url, env, rabbitmq_url
from .consumer import Consumer, Handler
from .db import Database
from .loop import BatchScheduler
from .outbox import Outbox, Relay


@dataclass
class Runtime:
    service: str
    db: Database
    outbox: Outbox
    inbox: Table

    @classmethod
    def create(cls, service: str, outbox_table: Table, inbox_table: Table, url: str | None = None) -> Runtime:
        db = Database(url or database_url(service))
        return cls(service, db, Outbox(db, outbox_table, service), inbox_table)

    def consumer(self, handlers: Mapping[str, Handler], url: str | None = None, **options: Any) -> Consumer:
        return Consumer(
            self.service, self.db, self.inbox, handlers, url or rabbitmq_url(), outbox=self.outbox, **options
        )

    def relay(self, publisher: ConfirmingPublisher) -> Relay:
        return Relay(self.outbox, publisher)


def configure_logging() -> None:
    logging.basicConfig(
        level=env("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"
    )
    logging.getLogger("pika").setLevel(logging.WARNING)


def run_until_signalled(work: Callable[[threading.Event], None]) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    work(stop)


def main_relay(runtime: Runtime) -> None:
    configure_logging()
    publisher = ConfirmingPublisher(rabbitmq_url(), name=f"{runtime.service}-relay").start()
    try:
        run_until_signalled(runtime.relay(publisher).run)
    finally:
        publisher.close()


def main_scheduler(scheduler: BatchScheduler) -> None:
    """A scheduler process (billing's, applications'): its batch loop until SIGTERM or Ctrl-C."""
    configure_logging()
    logging.getLogger(__name__).info("%s: every %.1fs", scheduler.name, scheduler.interval)
    run_until_signalled(scheduler.run)


def main_consumer(runtime: Runtime, handlers: Mapping[str, Handler]) -> None:
    configure_logging()
    run_until_signalled(runtime.consumer(handlers).run)
