"""How a service's processes are wired and run: one `Runtime` per service holds its database and
outbox, and the entry points (relay, consumer) run until SIGTERM or Ctrl-C, then stop cleanly.

Every process of a service checks its settings first (`check_settings`): in production it refuses
to start, with one line naming the setting, while a secret is missing or has its development value.

    python -m mumaris_shared.runtime check-settings <service> ...

does the same for whole services at once (the launcher, before it starts anything)."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from .broker import ConfirmingPublisher
from .broker_access import SERVICES as BUS
from .broker_access import password, service_url
from .config import Checked, database_url, env, refuse_insecure
from .consumer import Consumer, Handler
from .db import Database
from .loop import BatchScheduler
from .outbox import Outbox, Relay


def check_settings(service: str, checks: Iterable[Checked] = ()) -> None:
    """What every process of a service does first: in production, refuse to start (one line,
    InsecureSetting) while its broker password (a service on the bus) or one of `checks` — the
    service's `bootstrap.PRODUCTION_CHECKS` — is missing or has its development value."""
    refuse_insecure((*([password(service)] if service in BUS else []), *checks))


@dataclass
class Runtime:
    service: str
    db: Database
    outbox: Outbox
    inbox: Table

    @classmethod
    def create(
        cls,
        service: str,
        outbox_table: Table,
        inbox_table: Table,
        url: str | None = None,
        checks: Iterable[Checked] = (),
    ) -> Runtime:
        check_settings(service, checks)
        db = Database(url or database_url(service))
        return cls(service, db, Outbox(db, outbox_table, service), inbox_table)

    def consumer(self, handlers: Mapping[str, Handler], url: str | None = None, **options: Any) -> Consumer:
        """`url`: by default, the service's own broker user (broker_access.service_url)."""
        return Consumer(
            self.service, self.db, self.inbox, handlers, url or service_url(self.service), outbox=self.outbox, **options
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
    publisher = ConfirmingPublisher(service_url(runtime.service), name=f"{runtime.service}-relay").start()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mumaris_shared.runtime")
    parser.add_argument("command", choices=["check-settings"])
    parser.add_argument("services", nargs="+")
    args = parser.parse_args(argv)
    for service in args.services:
        check_settings(service, importlib.import_module(f"{service}.bootstrap").PRODUCTION_CHECKS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
