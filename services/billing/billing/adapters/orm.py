"""The service's tables. migrations/versions/0002_billing.py creates the same; a test compares them.
Amounts are integer halalas; every time is an aware UTC datetime."""

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

# One row per submitted request: what the scheduler claims (reminders, the deadline).
fee_accounts_table = Table(
    "fee_accounts",
    metadata,
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
    Column("decision", String(16)),  # approved | rejected (0003)
    Column("withdrawn_at", UTCDateTime),  # as applications tells it (0003)
    Column("review_started_at", UTCDateTime),  # a reviewer took the request (0003)
    Column("kind", String(16), nullable=False, server_default="registration"),  # registration | renewal (0004)
)
Index("ix_fee_accounts_due", fee_accounts_table.c.status, fee_accounts_table.c.next_check_at)
Index("ix_fee_accounts_account", fee_accounts_table.c.account_id)

invoices_table = Table(
    "invoices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),  # contracts.FeeKind (0004: 32 long)
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
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("invoice_id", String(36), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount_halalas", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # pending | captured | failed
    Column("provider", String(32), nullable=False),
    # the payment at the provider; None until it is opened there (0005: recorded after the call)
    Column("provider_reference", String(64)),
    Column("bill_number", String(20)),  # SADAD only
    Column("created_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    # 0005
    Column("redirect_url", String(500)),  # the provider's page the payer pays on, when it has one
    Column("opening_at", UTCDateTime),  # being opened at the provider since (a lease: service/payments.py)
    Column("charge_reference", String(64)),  # the captured charge at the provider: what a refund names
    Column("sandbox_outcome", String(16)),  # sandbox only: the outcome played, its notice still to send
    Column("next_notice_at", UTCDateTime),  # sandbox only: when it (re)sends that notice
)
Index("ix_payments_invoice", payments_table.c.invoice_id)
Index("ix_payments_reference", payments_table.c.provider, payments_table.c.provider_reference)
Index("ix_payments_pending", payments_table.c.status, payments_table.c.next_notice_at)

webhook_events_table = Table(
    "webhook_events",
    metadata,
    Column("id", String(64), primary_key=True),  # the provider's event id: a repeat is a replay
    Column("provider", String(32), nullable=False),
    Column("payment_id", String(36), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("effect", String(32), nullable=False),  # captured | failed | over_payment | refund_paid | ... | ignored
    # 0003: refund notices share the table (one id space, one replay check); for them payment_id is
    # the payment refunded and refund_id the refund.
    Column("kind", String(16), nullable=False, server_default="payment"),  # payment | refund
    Column("refund_id", String(36)),
)

# 0005: a withdrawal that came before billing knew the request (its submission event late): applied
# when the submission comes, so no invoice is ever issued for a withdrawn request.
early_withdrawals_table = Table(
    "early_withdrawals",
    metadata,
    Column("application_number", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=False),
    Column("review_started_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
)

idempotency_keys_table = Table(
    "idempotency_keys",
    metadata,
    Column("principal_id", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    # the answer, once given (0005: the key is recorded with its payment before the provider is called)
    Column("status_code", Integer),
    Column("response", JSON),
    Column("created_at", UTCDateTime, nullable=False),
    Column("payment_id", String(36)),  # 0005: the payment this key made
)

exemptions_table = Table(
    "exemptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),  # the claimant
    # The claimant's national ID, from their token: no reviewer decides their own claim.
    Column("claimant_national_id", String(10)),
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
    "waivers",
    metadata,
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
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("invoice_id", String(36), nullable=False),
    Column("application_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("payment_id", String(36)),
    Column("amount_halalas", Integer, nullable=False),
    Column("rule", String(40), nullable=False),
    # pending_review | approved | rejected | paying | paid | payout_failed (domain/refunds.py)
    Column("status", String(16), nullable=False),
    Column("reason", Text),  # the reviewer's words, when one decided
    Column("created_at", UTCDateTime, nullable=False),  # when claimed (or decided by the rules)
    Column("decided_at", UTCDateTime),
    # 0003
    # What makes a refund unique: "policy:<invoice id>" (claims and withdrawal evaluations: one per
    # invoice) or "full:<payment id>" (over-payments: one per payment). A repeat hits the index.
    Column("dedupe_key", String(80)),
    Column("origin", String(16), nullable=False, server_default="over_payment"),  # claim | withdrawal | over_payment
    Column("claimed_by", String(64)),
    Column("claim_reason", Text),  # the applicant's words
    Column("decide_by", UTCDateTime),  # the decision limit (created_at + BILLING_REFUND_DECISION_SLA)
    Column("decided_by", String(64)),  # "billing" (the rules) or the reviewer's id
    Column("escalated_at", UTCDateTime),
    Column("provider_reference", String(64)),  # the payout at the provider
    Column("payout_started_at", UTCDateTime),
    Column("next_notice_at", UTCDateTime),  # sandbox only: when it (re)sends the refund's webhook
    Column("paid_at", UTCDateTime),
)
Index("ix_refunds_application", refunds_table.c.application_number)
Index("uq_refunds_dedupe", refunds_table.c.dedupe_key, unique=True)
Index("ix_refunds_status", refunds_table.c.status, refunds_table.c.decide_by)
