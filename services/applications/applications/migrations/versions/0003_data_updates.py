"""data updates of approved requests, the membership's previous versions, its contact details

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

OPEN = sa.text("status = 'under_review'")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
        batch.add_column(sa.Column("mobile", sa.String(16)))
        batch.add_column(sa.Column("address", sa.String(500)))
        batch.add_column(sa.Column("employer_name", sa.String(200)))
        batch.add_column(sa.Column("employer_city", sa.String(100)))
    with op.batch_alter_table("timeline_entries") as batch:
        batch.add_column(sa.Column("update_id", sa.String(36)))
    op.create_table(
        "data_updates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_number", sa.String(20), sa.ForeignKey("applications.number"), nullable=False),
        sa.Column("membership_number", sa.String(10), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
        sa.Column("review_started_at", UTCDateTime),
        sa.Column("reviewer_id", sa.String(36)),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_data_updates_application", "data_updates", ["application_number", "submitted_at"])
    op.create_index("ix_data_updates_queue", "data_updates", ["status", "submitted_at"])
    op.create_index("ux_data_updates_one_open", "data_updates", ["application_number"], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_table(
        "membership_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(20), sa.ForeignKey("applications.number"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("replaced_at", UTCDateTime, nullable=False),
        sa.Column("update_id", sa.String(36), sa.ForeignKey("data_updates.id"), nullable=False),
        sa.UniqueConstraint("application_number", "version", name="uq_membership_versions_version"),
    )


def downgrade() -> None:
    op.drop_table("membership_versions")
    op.drop_table("data_updates")
    with op.batch_alter_table("timeline_entries") as batch:
        batch.drop_column("update_id")
    with op.batch_alter_table("applications") as batch:
        for column in ("employer_city", "employer_name", "address", "mobile", "email"):
            batch.drop_column(column)
