"""refund claims, their decision limit, escalation and payout; review start and withdrawal on fee accounts

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

REFUND_COLUMNS = ("dedupe_key", "origin", "claimed_by", "claim_reason", "decide_by", "decided_by", "escalated_at",
                  "provider_reference", "payout_started_at", "next_notice_at", "paid_at")


def upgrade() -> None:
    op.add_column("fee_accounts", sa.Column("decision", sa.String(16)))
    op.add_column("fee_accounts", sa.Column("withdrawn_at", UTCDateTime))
    op.add_column("fee_accounts", sa.Column("review_started_at", UTCDateTime))

    op.add_column("webhook_events", sa.Column("kind", sa.String(16), nullable=False, server_default="payment"))
    op.add_column("webhook_events", sa.Column("refund_id", sa.String(36)))

    op.add_column("refunds", sa.Column("dedupe_key", sa.String(80)))
    op.add_column("refunds", sa.Column("origin", sa.String(16), nullable=False, server_default="over_payment"))
    op.add_column("refunds", sa.Column("claimed_by", sa.String(64)))
    op.add_column("refunds", sa.Column("claim_reason", sa.Text))
    op.add_column("refunds", sa.Column("decide_by", UTCDateTime))
    op.add_column("refunds", sa.Column("decided_by", sa.String(64)))
    op.add_column("refunds", sa.Column("escalated_at", UTCDateTime))
    op.add_column("refunds", sa.Column("provider_reference", sa.String(64)))
    op.add_column("refunds", sa.Column("payout_started_at", UTCDateTime))
    op.add_column("refunds", sa.Column("next_notice_at", UTCDateTime))
    op.add_column("refunds", sa.Column("paid_at", UTCDateTime))
    # Refunds recorded before 0003 were all full refunds of one payment, decided at once.
    op.execute("UPDATE refunds SET dedupe_key = 'full:' || COALESCE(payment_id, id), decide_by = created_at, "
               "decided_by = 'billing'")
    op.create_index("uq_refunds_dedupe", "refunds", ["dedupe_key"], unique=True)
    op.create_index("ix_refunds_status", "refunds", ["status", "decide_by"])


def downgrade() -> None:
    op.drop_index("ix_refunds_status", "refunds")
    op.drop_index("uq_refunds_dedupe", "refunds")
    with op.batch_alter_table("refunds") as batch:
        for column in REFUND_COLUMNS:
            batch.drop_column(column)
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("refund_id")
        batch.drop_column("kind")
    with op.batch_alter_table("fee_accounts") as batch:
        for column in ("review_started_at", "withdrawn_at", "decision"):
            batch.drop_column(column)
