"""payments recorded before the provider is called (reference, redirect, opening lease, charge, sandbox
notices); idempotency keys that point at their payment; withdrawals that came before the submission

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from mumaris_shared.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PAYMENT_COLUMNS = ("redirect_url", "opening_at", "charge_reference", "sandbox_outcome", "next_notice_at")


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("provider_reference", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("redirect_url", sa.String(500)))
        batch.add_column(sa.Column("opening_at", UTCDateTime))
        batch.add_column(sa.Column("charge_reference", sa.String(64)))
        batch.add_column(sa.Column("sandbox_outcome", sa.String(16)))
        batch.add_column(sa.Column("next_notice_at", UTCDateTime))
    # Payments captured before 0004 were captured under the reference they were opened with.
    op.execute("UPDATE payments SET charge_reference = provider_reference WHERE status = 'captured'")
    op.create_index("ix_payments_reference", "payments", ["provider", "provider_reference"])
    op.create_index("ix_payments_pending", "payments", ["status", "next_notice_at"])

    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("status_code", existing_type=sa.Integer, nullable=True)
        batch.alter_column("response", existing_type=sa.JSON, nullable=True)
        batch.add_column(sa.Column("payment_id", sa.String(36)))

    op.create_table(
        "early_withdrawals",
        sa.Column("application_number", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime, nullable=False),
        sa.Column("review_started_at", UTCDateTime),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("early_withdrawals")
    op.execute("DELETE FROM idempotency_keys WHERE response IS NULL")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("payment_id")
        batch.alter_column("response", existing_type=sa.JSON, nullable=False)
        batch.alter_column("status_code", existing_type=sa.Integer, nullable=False)
    op.drop_index("ix_payments_pending", "payments")
    op.drop_index("ix_payments_reference", "payments")
    op.execute("UPDATE payments SET provider_reference = 'unopened:' || id WHERE provider_reference IS NULL")
    with op.batch_alter_table("payments") as batch:
        for column in PAYMENT_COLUMNS:
            batch.drop_column(column)
        batch.alter_column("provider_reference", existing_type=sa.String(64), nullable=False)
