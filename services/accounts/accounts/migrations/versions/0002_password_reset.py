"""password reset codes (verification_codes.purpose) and the session version of each account

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("verification_codes") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16), nullable=False, server_default="activation"))


def downgrade() -> None:
    with op.batch_alter_table("verification_codes") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("session_version")
