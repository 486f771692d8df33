"""Alembic, the same way in every service: migrations live in `<service>/migrations`, the URL is
the service's DATABASE_URL, and `python -m <service>.migrate` upgrades to head."""
from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from .config import database_url
from .db import messaging_tables


def alembic_config(service: str, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", (url or database_url(service)).replace("%", "%%"))
    return config


def upgrade(service: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(service, url), "head")


def run_env(context, target_metadata) -> None:
    """The body of every service's migrations/env.py."""
    from sqlalchemy import engine_from_config, pool

    config = context.config
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                          literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


def create_messaging_tables(op) -> None:
    """The outbox and inbox, for a service's first migration, exactly as `db.messaging_tables` declares them."""
    metadata = sa.MetaData()
    messaging_tables(metadata)
    metadata.create_all(op.get_bind())


def main(service: str) -> None:
    upgrade(service)
    print(f"{service}: database at head", file=sys.stderr)
