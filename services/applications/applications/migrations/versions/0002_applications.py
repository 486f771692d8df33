"""registration requests and their timeline

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("number", sa.String(20), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("specialty", sa.String(200), nullable=False),
        sa.Column("degree", sa.String(200), nullable=False),
        sa.Column("institution", sa.String(200), nullable=False),
        sa.Column("country", sa.String(100), nullable=False),
        sa.Column("graduation_year", sa.Integer, nullable=False),
        sa.Column("dataflow_reference", sa.String(64), nullable=False),
        sa.Column("membership_number", sa.String(10), unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("submitted_at", UTCDateTime),
        sa.Column("under_review_at", UTCDateTime),
        sa.Column("review_started_at", UTCDateTime),
        sa.Column("reviewer_id", sa.String(36)),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_applications_account", "applications", ["account_id", "created_at"])
    op.create_index("ix_applications_queue", "applications", ["status", "under_review_at"])
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_number", sa.String(20), sa.ForeignKey("applications.number"), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("by", sa.String(36), nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_timeline_entries_application", "timeline_entries", ["application_number", "id"])


def downgrade() -> None:
    op.drop_table("timeline_entries")
    op.drop_table("applications")
