"""each request's revision, moved by every change of it, its timeline or its documents: the
API's answers about it are kept under it (mumaris_shared.kept_answers)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("revision", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("revision")
