"""The service's tables. migrations/versions/ create the same; a test compares them."""

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, text

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

applications_table = Table(
    "applications",
    metadata,
    Column("number", String(20), primary_key=True),  # MR-XXXX-XXXX-XXXX, domain/numbers.py
    Column("account_id", String(36), nullable=False),  # the owner: the token's `sub`
    # The owner's national ID, from their token: no member of staff takes or decides their own case.
    # (None for requests made before it was recorded: those are compared by account only.)
    Column("applicant_national_id", String(10)),
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
    # The membership's data beyond the request's own fields: given by a data update (0003).
    Column("email", String(254)),
    Column("mobile", String(16)),  # E.164, domain/updates.normalise_mobile
    Column("address", String(500)),
    Column("employer_name", String(200)),
    Column("employer_city", String(100)),
)
Index("ix_applications_account", applications_table.c.account_id, applications_table.c.created_at)
Index("ix_applications_queue", applications_table.c.status, applications_table.c.under_review_at)

timeline_table = Table(
    "timeline_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("status", String(32), nullable=False),  # a status, or review_started
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(36), nullable=False),  # an account id, or "system"
    Column("reason", Text),
    Column("update_id", String(36)),  # the data update an update_* entry is about (0003)
)
Index("ix_timeline_entries_application", timeline_table.c.application_number, timeline_table.c.id)

# Data updates of approved requests (R11); at most one under review per request.
data_updates_table = Table(
    "data_updates",
    metadata,
    Column("id", String(36), primary_key=True),  # a UUID
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("membership_number", String(10), nullable=False),
    Column("account_id", String(36), nullable=False),  # the owner who submitted it
    Column("status", String(32), nullable=False),  # lifecycle.UPDATE_STATUSES
    Column("changes", Text, nullable=False),  # JSON: the fields it replaces, as validated
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("review_started_at", UTCDateTime),
    Column("reviewer_id", String(36)),
    Column("decided_at", UTCDateTime),
    Column("reason", Text),
)
Index("ix_data_updates_application", data_updates_table.c.application_number, data_updates_table.c.submitted_at)
Index("ix_data_updates_queue", data_updates_table.c.status, data_updates_table.c.submitted_at)
Index(
    "ux_data_updates_one_open",
    data_updates_table.c.application_number,
    unique=True,
    sqlite_where=text("status = 'under_review'"),
    postgresql_where=text("status = 'under_review'"),
)

# The membership's data as it was before each approved update replaced it.
membership_versions_table = Table(
    "membership_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("version", Integer, nullable=False),  # 1: the data as approved; n + 1 replaced version n
    Column("data", Text, nullable=False),  # JSON, as GET /v1/memberships/<n> shows `data`
    Column("replaced_at", UTCDateTime, nullable=False),
    Column("update_id", String(36), ForeignKey("data_updates.id"), nullable=False),  # the update that replaced it
    UniqueConstraint("application_number", "version", name="uq_membership_versions_version"),
)
