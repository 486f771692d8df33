"""outbox rows that expire with their secret; the claimant's national ID on each exemption claim

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.db import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("expires_at", UTCDateTime))
    op.add_column("exemptions", sa.Column("claimant_national_id", sa.String(10)))


def downgrade() -> None:
    with op.batch_alter_table("exemptions") as batch:
        batch.drop_column("claimant_national_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("expires_at")
