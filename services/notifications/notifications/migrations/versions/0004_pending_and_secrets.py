"""the outbox's index of unsent rows holds those alone; the deliveries that carry a secret are
indexed by when it expires (the mailer blanks them out every ten seconds); on PostgreSQL the
e-mails' bodies compressed with LZ4 where the server has it

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.migrations import index_the_unsent_outbox, unindex_the_unsent_outbox

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_the_unsent_outbox(op)
    carrying = sa.text("secret_until IS NOT NULL")
    op.create_index(
        "ix_deliveries_secret", "deliveries", ["secret_until"], postgresql_where=carrying, sqlite_where=carrying
    )
    if _lz4(op.get_bind()):
        # Each e-mail's two bodies are several KiB: PostgreSQL compresses them as it stores them,
        # and with LZ4 at about half the CPU of its own pglz, for a file a sixth smaller.
        op.execute("ALTER TABLE deliveries ALTER COLUMN text SET COMPRESSION lz4, ALTER COLUMN html SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4(op.get_bind()):
        op.execute(
            "ALTER TABLE deliveries ALTER COLUMN text SET COMPRESSION default, "
            "ALTER COLUMN html SET COMPRESSION default"
        )
    op.drop_index("ix_deliveries_secret", table_name="deliveries")
    unindex_the_unsent_outbox(op)


def _lz4(connection) -> bool:
    """PostgreSQL built with LZ4 (Debian's, the official images')."""
    if connection.dialect.name != "postgresql":
        return False
    query = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    return bool(connection.execute(sa.text(query)).scalar())
