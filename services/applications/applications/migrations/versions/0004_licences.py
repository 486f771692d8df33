"""the licence's life: licences, renewals (a kind of request), returns for corrections, Dataflow and
the reviewer's classification on requests, documents, CPD activities, holders' names

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.db import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPLICATION_COLUMNS = (
    ("kind", sa.String(16), {"nullable": False, "server_default": "registration"}),
    ("renews", sa.String(10), {}),
    ("returned_at", UTCDateTime, {}),
    ("correct_by", UTCDateTime, {}),
    ("return_reason", sa.Text, {}),
    ("return_items", sa.JSON, {}),
    ("dataflow_outcome", sa.String(16), {}),
    ("dataflow_note", sa.Text, {}),
    ("dataflow_recorded_at", UTCDateTime, {}),
    ("applied_category", sa.String(32), {}),
    ("classified_at", UTCDateTime, {}),
    ("fees_outstanding_since", UTCDateTime, {}),
)


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for name, type_, options in APPLICATION_COLUMNS:
            batch.add_column(sa.Column(name, type_, **options))
    op.create_index("ix_applications_corrections", "applications", ["status", "correct_by"])
    op.create_index("ix_applications_renews", "applications", ["renews"])
    op.create_table(
        "licences",
        sa.Column("membership_number", sa.String(10), primary_key=True),
        sa.Column("application_number", sa.String(20), sa.ForeignKey("applications.number"), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_from", UTCDateTime, nullable=False),
        sa.Column("valid_until", UTCDateTime, nullable=False),
        sa.Column("reminders_sent", sa.JSON, nullable=False),
        sa.Column("next_check_at", UTCDateTime),
        sa.Column("renewals", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_licences_due", "licences", ["status", "next_check_at"])
    op.create_index("ix_licences_account", "licences", ["account_id"])
    op.create_table(
        "holders",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("as_of", UTCDateTime, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_number", sa.String(20), sa.ForeignKey("applications.number"), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("attached_to", sa.String(16), nullable=False),
        sa.Column("attached_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("storage_key", sa.String(100), nullable=False),
        sa.Column("uploaded_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_documents_attached", "documents", ["attached_to", "attached_id"])
    op.create_index("ix_documents_application", "documents", ["application_number"])
    op.create_table(
        "cpd_activities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("membership_number", sa.String(10), sa.ForeignKey("licences.membership_number"), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("decided_by", sa.String(36)),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_cpd_activities_membership", "cpd_activities", ["membership_number", "on"])
    op.create_index("ix_cpd_activities_status", "cpd_activities", ["status", "recorded_at"])


def downgrade() -> None:
    for table in ("cpd_activities", "documents", "holders", "licences"):
        op.drop_table(table)
    op.drop_index("ix_applications_renews", "applications")
    op.drop_index("ix_applications_corrections", "applications")
    with op.batch_alter_table("applications") as batch:
        for name, _type, _options in reversed(APPLICATION_COLUMNS):
            batch.drop_column(name)
