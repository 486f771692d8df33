"""Data migrations keep what was stored (the tables themselves are checked against the code in
tests/contracts/test_migrations_match_models.py)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from mumaris_shared.migrations import alembic_config, upgrade

pytestmark = pytest.mark.integration


@pytest.mark.postgres
def test_0003_keeps_refunds_recorded_before_it_one_per_payment(database_url):
    command.upgrade(alembic_config("billing", database_url), "0002")
    engine = sa.create_engine(database_url)
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO refunds (id, invoice_id, application_number, account_id, payment_id, amount_halalas, "
                    "rule, status, created_at, decided_at) VALUES ('r1', 'i1', 'REQ-1', 'acct', 'p1', 90000, "
                    "'duplicate_payment', 'approved', :at, :at)"
                ),
                {"at": at.replace(tzinfo=None)},
            )
        upgrade("billing", database_url)
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT dedupe_key, origin, decided_by, decide_by FROM refunds")).one()
        assert (row.dedupe_key, row.origin, row.decided_by) == ("full:p1", "over_payment", "billing")
        assert row.decide_by is not None
    finally:
        engine.dispose()
