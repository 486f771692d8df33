import uuid

import pytest
import sqlalchemy as sa

from mumaris_shared.migrations import upgrade

pytestmark = pytest.mark.integration


def test_a_missing_postgresql_database_is_created_by_the_first_migration(postgres_databases):
    url = postgres_databases.url(f"test_{uuid.uuid4().hex[:16]}")
    upgrade("applications", url)
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
        postgres_databases.adopt(url)  # dropped at the end with the others: a DROP DATABASE now is a checkpoint
    assert {"outbox", "inbox", "alembic_version"} <= tables
