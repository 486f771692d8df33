"""PostgreSQL for tests: fresh, empty databases on a server that `make test` started (or in a
container), each dropped when the test that made it ends."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

LOCAL_POSTGRES_ADMIN = "postgresql://mumaris:mumaris@127.0.0.1:5432/postgres"


@contextmanager
def postgres_server(use_docker: bool) -> Iterator[str]:
    """A URL with the right to create databases."""
    if not use_docker:
        yield LOCAL_POSTGRES_ADMIN
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16", driver="psycopg") as container:
        yield container.get_connection_url()


class Databases:
    """Makes databases with `admin_url`'s rights; `close()` drops those it made."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.made: list[str] = []

    def make(self) -> str:
        name = f"test_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return sa.engine.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop every database made here."""
        # FORCE: a connection a test left open (a killed process, an undisposed engine) must not block.
        with self.admin.connect() as connection:
            while self.made:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.made.pop()}" WITH (FORCE)'))
        self.admin.dispose()
