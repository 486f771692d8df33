"""The service's tables. migrations/versions/ create the same; a test compares them."""
from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

applications_table = Table(
    "applications", metadata,
    Column("number", String(20), primary_key=True),  # MR-XXXX-XXXX-XXXX, domain/numbers.py
    Column("account_id", String(36), nullable=False),  # the owner: the token's `sub`
    Column("status", String(32), nullable=False),
    Column("category", String(32), nullable=False),
    Column("specialty", String(200), nullable=False),
    Column("degree", String(200), nullable=False),
    Column("institution", String(200), nullable=False),
    Column("country", String(100), nullable=False),
    Column("graduation_year", Integer, nullable=False),
    Column("dataflow_reference", String(64), nullable=False),
    Column("membership_number", String(10), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    Column("under_review_at", UTCDateTime),  # entered the reviewers' queue
    Column("review_started_at", UTCDateTime),
    Column("reviewer_id", String(36)),
    Column("decided_at", UTCDateTime),
)
Index("ix_applications_account", applications_table.c.account_id, applications_table.c.created_at)
Index("ix_applications_queue", applications_table.c.status, applications_table.c.under_review_at)

timeline_table = Table(
    "timeline_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("status", String(32), nullable=False),  # a status, or review_started
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(36), nullable=False),  # an account id, or "system"
    Column("reason", Text),
)
Index("ix_timeline_entries_application", timeline_table.c.application_number, timeline_table.c.id)
