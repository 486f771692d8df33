"""Every service's migrations create exactly the tables its code declares (adapters/orm.py)."""

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mumaris_shared.migrations import upgrade

pytestmark = pytest.mark.integration


@pytest.mark.postgres
@pytest.mark.parametrize("service", ["accounts", "applications", "billing", "notifications", "portal"])
def test_migrated_database_matches_the_declared_tables(service, database_url):
    upgrade(service, database_url)
    metadata = importlib.import_module(f"{service}.adapters.orm").metadata
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()
