"""renewal requests and the reviewer's classification: the request's kind on its fee account; invoice
kinds long enough for classification_difference

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fee_accounts", sa.Column("kind", sa.String(16), nullable=False, server_default="registration"))
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("kind", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column("kind", type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False)
    with op.batch_alter_table("fee_accounts") as batch:
        batch.drop_column("kind")
