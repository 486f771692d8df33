"""PostgreSQL for tests: fresh, empty databases on a server that `make test` started (or in a
container)."""

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
    """Fresh, empty databases, made with `admin_url`'s rights. Dropping a database is dear:
    PostgreSQL checkpoints at every DROP DATABASE, i.e. waits until every page any client of the
    server changed is on disk, which takes tens of seconds while a scale test writes. So a database
    a test is done with is emptied instead (its connections ended, its schema dropped and made
    again: nothing of the test's is left) and handed to the next test; `close()` drops them all,
    once."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.made: list[str] = []
        self.free: list[str] = []

    def url(self, name: str) -> str:
        return sa.engine.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def take(self) -> str:
        """The URL of an empty database no one else uses until it is given back."""
        if self.free:
            return self.url(self.free.pop())
        name = f"test_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return self.url(name)

    def adopt(self, url: str) -> None:
        """A database a test made itself, handed on and dropped like the others."""
        self.made.append(sa.engine.make_url(url).database)
        self.give_back(url)

    def give_back(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self.admin.connect() as connection:
            end_our_connections(connection, name)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        self.free.append(name)

    def close(self) -> None:
        """Drop every database made here."""
        with self.admin.connect() as connection:
            while self.made:
                drop_database(connection, self.made.pop())
        self.free.clear()


def end_our_connections(admin: sa.Connection, name: str) -> None:
    """End our role's connections to database `name`: a process a test or bench left running, an
    engine not disposed of. Only ours: autovacuum works there too, as a superuser."""
    admin.execute(
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )


def drop_database(admin: sa.Connection, name: str) -> None:
    """Drop database `name`, our role's connections to it ended first; a plain DROP makes autovacuum
    give way by itself. Not `WITH (FORCE)`: that ends every other connection, autovacuum's
    included, which a role without pg_signal_backend may not do, and it then refuses the whole DROP
    (seen after a 100,000-request bench, autovacuum busy on its tables)."""
    end_our_connections(admin, name)
    admin.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
