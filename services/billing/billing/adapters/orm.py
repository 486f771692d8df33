"""The service's tables. migrations/versions/0002_billing.py creates the same; a test compares them.
Amounts are integer halalas; every time is an aware UTC datetime."""
from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

# One row per submitted request: what the scheduler claims (reminders, the deadline).
fee_accounts_table = Table(
    "fee_accounts", metadata,
    Column("application_number", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("assessed_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),  # open | settled | expired | closed
    Column("reminders_sent", JSON, nullable=False),  # ["P7D", ...]
    Column("next_check_at", UTCDateTime),  # when the scheduler looks again; None once not open
    Column("settled_at", UTCDateTime),
    Column("expired_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(32)),  # withdrawn | approved | rejected
    Column("decided_at", UTCDateTime),  # the request's approval or rejection, for refunds
)
Index("ix_fee_accounts_due", fee_accounts_table.c.status, fee_accounts_table.c.next_check_at)
Index("ix_fee_accounts_account", fee_accounts_table.c.account_id)

invoices_table = Table(
    "invoices", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # administrative | service
    Column("amount_halalas", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # unpaid | paid | waived | expired | cancelled
    Column("due_at", UTCDateTime, nullable=False),
    Column("sadad_bill_number", String(20), nullable=False, unique=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("paid_by_payment", String(36)),
    Column("waived_at", UTCDateTime),
    Column("waived_by", String(16)),  # exemption | waiver
    Column("waiver_reference", String(64)),  # the exemption id or the decision number
    Column("closed_at", UTCDateTime),  # expired or cancelled
    UniqueConstraint("application_number", "kind", name="uq_invoices_application_kind"),
)

payments_table = Table(
    "payments", metadata,
    Column("id", String(36), primary_key=True),
    Column("invoice_id", String(36), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount_halalas", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # pending | captured | failed
    Column("provider", String(32), nullable=False),
    Column("provider_reference", String(64), nullable=False),
    Column("bill_number", String(20)),  # SADAD only
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
)
Index("ix_payments_invoice", payments_table.c.invoice_id)

webhook_events_table = Table(
    "webhook_events", metadata,
    Column("id", String(64), primary_key=True),  # the provider's event id: a repeat is a replay
    Column("provider", String(32), nullable=False),
    Column("payment_id", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("effect", String(32), nullable=False),  # captured | failed | over_payment | ignored
)

idempotency_keys_table = Table(
    "idempotency_keys", metadata,
    Column("principal_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

exemptions_table = Table(
    "exemptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),  # the claimant
    Column("kind", String(32), nullable=False),
    Column("evidence_reference", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected
    Column("reason", Text),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(64)),
)
Index("ix_exemptions_application", exemptions_table.c.application_number)
Index("ix_exemptions_status", exemptions_table.c.status, exemptions_table.c.claimed_at)

waivers_table = Table(
    "waivers", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(64), nullable=False),
    Column("decision_number", String(64), nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("granted_by", String(64), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("announced_at", UTCDateTime),  # billing.waiver_granted published (once the owner is known)
    UniqueConstraint("application_number", "decision_number", name="uq_waivers_decision"),
)

refunds_table = Table(
    "refunds", metadata,
    Column("id", String(36), primary_key=True),
    Column("invoice_id", String(36), nullable=False),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("payment_id", String(36)),
    Column("amount_halalas", Integer, nullable=False),
    Column("rule", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # approved | rejected | pending_review
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)
Index("ix_refunds_application", refunds_table.c.application_number)
