"""The migrations create exactly the tables the code declares (adapters/orm.py)."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from billing.adapters.orm import metadata
from mumaris_shared.migrations import upgrade

pytestmark = pytest.mark.integration


def test_migrated_database_matches_the_declared_tables(database_url):
    upgrade("billing", database_url)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    finally:
        engine.dispose()
