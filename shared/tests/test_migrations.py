import uuid

import pytest
import sqlalchemy as sa

from mumaris_shared.migrations import upgrade

pytestmark = pytest.mark.integration


def test_a_missing_postgresql_database_is_created_by_the_first_migration(postgres_admin_url):
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = sa.engine.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade("applications", url)
    engine = sa.create_engine(url)
    try:
        assert {"outbox", "inbox", "alembic_version"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
        admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
