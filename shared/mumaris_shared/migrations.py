"""Alembic, the same way in every service: migrations live in `<service>/migrations`, the URL is
the service's DATABASE_URL, and `python -m <service>.migrate` upgrades to head."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .config import Checked, database_url
from .db import messaging_tables
from .runtime import check_settings


def alembic_config(service: str, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", (url or database_url(service)).replace("%", "%%"))
    return config


def upgrade(service: str, url: str | None = None) -> None:
    url = url or database_url(service)
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def ensure_database(url: str) -> None:
    """Create the service's PostgreSQL database when it does not exist yet (SQLite creates its file)."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def run_env(context: Any, target_metadata: sa.MetaData) -> None:
    """The body of every service's migrations/env.py."""
    from sqlalchemy import engine_from_config, pool

    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def create_messaging_tables(op: Any) -> None:
    """The outbox and inbox, for a service's first migration, as `db.messaging_tables` first declared
    them (each column added since comes with a migration of its own)."""
    metadata = sa.MetaData()
    messaging_tables(metadata, as_first_made=True)
    metadata.create_all(op.get_bind())


def index_the_unsent_outbox(op: Any) -> None:
    """The outbox's index for the relays becomes one of the unsent rows alone (`db.messaging_tables`)."""
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    unsent = sa.text("sent_at IS NULL")
    op.create_index("ix_outbox_pending", "outbox", ["position"], postgresql_where=unsent, sqlite_where=unsent)


def unindex_the_unsent_outbox(op: Any) -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "position"])


def main(service: str, checks: Iterable[Checked] = ()) -> None:
    check_settings(service, checks)
    upgrade(service)
    print(f"{service}: database at head", file=sys.stderr)
