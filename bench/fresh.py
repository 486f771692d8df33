"""What a bench of the event path runs on: a RabbitMQ virtual host and PostgreSQL databases of its
own on the local servers (`ops/infra.sh up`), provisioned as production's are, removed afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from mumaris_testing.broker import LOCAL_RABBITMQ, VirtualHosts, _run
from mumaris_testing.postgres import drop_database

POSTGRES = "postgresql://mumaris:mumaris@127.0.0.1:5432"


@contextmanager
def infrastructure(
    services: Sequence[str], migrate: Sequence[str] = (), prefix: str = "bench"
) -> Iterator[dict[str, str]]:
    """Settings naming a fresh virtual host (RABBITMQ_URL, as an administrator; each service's own
    user provisioned in it, as ops/infra.sh does) and a fresh database per service
    (<SERVICE>_DATABASE_URL, named `<prefix>_<tag>_<service>`); the `migrate` services' migrations
    are run on theirs."""
    vhosts = VirtualHosts(
        lambda *args: _run("rabbitmqctl", "-q", *args),
        lambda provisioned: _run("rabbitmqctl", "-q", "import_definitions", given=json.dumps(provisioned)),
        LOCAL_RABBITMQ,
    )
    tag = uuid.uuid4().hex[:10]
    names = {service: f"{prefix}_{tag}_{service}" for service in services}
    admin = sa.create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        settings = {f"{s.upper()}_DATABASE_URL": f"{POSTGRES}/{name}" for s, name in names.items()}
        settings["RABBITMQ_URL"] = vhosts.add()
        env = {**os.environ, **settings}
        for service in migrate:
            subprocess.run([sys.executable, "-m", f"{service}.migrate"], env=env, check=True, capture_output=True)
        yield settings
    finally:
        with admin.connect() as connection:
            for name in names.values():
                drop_database(connection, name)
        admin.dispose()
        vhosts.remove_all()
