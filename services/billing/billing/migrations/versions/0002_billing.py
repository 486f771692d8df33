"""fee accounts, invoices, payments, webhook events, idempotency keys, exemptions, waivers, refunds

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
        "fee_accounts",
        sa.Column("application_number", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=False),
        sa.Column("assessed_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reminders_sent", sa.JSON, nullable=False),
        sa.Column("next_check_at", UTCDateTime),
        sa.Column("settled_at", UTCDateTime),
        sa.Column("expired_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("closed_by", sa.String(32)),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_fee_accounts_due", "fee_accounts", ["status", "next_check_at"])
    op.create_index("ix_fee_accounts_account", "fee_accounts", ["account_id"])
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_number", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_halalas", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("sadad_bill_number", sa.String(20), nullable=False, unique=True),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("paid_at", UTCDateTime),
        sa.Column("paid_by_payment", sa.String(36)),
        sa.Column("waived_at", UTCDateTime),
        sa.Column("waived_by", sa.String(16)),
        sa.Column("waiver_reference", sa.String(64)),
        sa.Column("closed_at", UTCDateTime),
        sa.UniqueConstraint("application_number", "kind", name="uq_invoices_application_kind"),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("invoice_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("amount_halalas", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_reference", sa.String(64), nullable=False),
        sa.Column("bill_number", sa.String(20)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime),
    )
    op.create_index("ix_payments_invoice", "payments", ["invoice_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("effect", sa.String(32), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "exemptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_number", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("evidence_reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("claimed_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("decided_by", sa.String(64)),
    )
    op.create_index("ix_exemptions_application", "exemptions", ["application_number"])
    op.create_index("ix_exemptions_status", "exemptions", ["status", "claimed_at"])
    op.create_table(
        "waivers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_number", sa.String(64), nullable=False),
        sa.Column("decision_number", sa.String(64), nullable=False),
        sa.Column("kinds", sa.JSON, nullable=False),
        sa.Column("granted_by", sa.String(64), nullable=False),
        sa.Column("granted_at", UTCDateTime, nullable=False),
        sa.Column("announced_at", UTCDateTime),
        sa.UniqueConstraint("application_number", "decision_number", name="uq_waivers_decision"),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("invoice_id", sa.String(36), nullable=False),
        sa.Column("application_number", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("payment_id", sa.String(36)),
        sa.Column("amount_halalas", sa.Integer, nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime),
    )
    op.create_index("ix_refunds_application", "refunds", ["application_number"])


def downgrade() -> None:
    for table in ("refunds", "waivers", "exemptions", "idempotency_keys", "webhook_events", "payments",
                  "invoices", "fee_accounts"):
        op.drop_table(table)
