"""outbox rows that expire with their secret; deliveries that carry a secret until when

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("expires_at", UTCDateTime))
    # A delivery carrying a secret (a code): its bodies are blanked out once it expires.
    op.add_column("deliveries", sa.Column("secret_until", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("secret_until")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("expires_at")
