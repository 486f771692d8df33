"""The service's tables. migrations/versions/ create the same; a test compares them."""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

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
    # 0004: renewals, returns for corrections, Dataflow, the reviewer's classification
    Column("kind", String(16), nullable=False, server_default="registration"),  # registration | renewal
    Column("renews", String(10)),  # a renewal: the membership number whose licence it renews
    Column("returned_at", UTCDateTime),
    Column("correct_by", UTCDateTime),  # a returned request not sent again by then is cancelled
    Column("return_reason", Text),
    Column("return_items", JSON),  # the fields or document kinds to correct
    Column("dataflow_outcome", String(16)),  # verified | discrepancy
    Column("dataflow_note", Text),
    Column("dataflow_recorded_at", UTCDateTime),
    Column("applied_category", String(32)),  # the category applied for, when a reviewer classified it
    Column("classified_at", UTCDateTime),
    Column("fees_outstanding_since", UTCDateTime),  # a classification's fee difference not settled yet
    # 0007: moved by every change of the request, of its timeline or of its documents, in the same
    # transaction (adapters/repository.py, licensing.py): the API's answers are kept under it.
    Column("revision", Integer, nullable=False, server_default="0"),
)
Index("ix_applications_account", applications_table.c.account_id, applications_table.c.created_at)
Index("ix_applications_queue", applications_table.c.status, applications_table.c.under_review_at)
Index("ix_applications_corrections", applications_table.c.status, applications_table.c.correct_by)
Index("ix_applications_renews", applications_table.c.renews)

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


# The licence an approved registration started, by its membership number (0004).
licences_table = Table(
    "licences",
    metadata,
    Column("membership_number", String(10), primary_key=True),
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("category", String(32), nullable=False),  # the classification, as last approved
    Column("status", String(16), nullable=False),  # lifecycle.LICENCE_STATUSES
    Column("valid_from", UTCDateTime, nullable=False),  # the current period's start
    Column("valid_until", UTCDateTime, nullable=False),
    Column("reminders_sent", JSON, nullable=False),  # of the current period: ["P90D", ...]
    Column("next_check_at", UTCDateTime),  # when the scheduler looks again; None once expired
    Column("renewals", Integer, nullable=False, server_default="0"),
)
Index("ix_licences_due", licences_table.c.status, licences_table.c.next_check_at)
Index("ix_licences_account", licences_table.c.account_id)

# Who holds an account, as accounts' events say (for the public register and the card) (0004).
holders_table = Table(
    "holders",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("as_of", UTCDateTime, nullable=False),  # the event's time: an older one never overwrites
)

# Documents attached to a request, a data update or a CPD activity; the bytes are in the storage (0004).
documents_table = Table(
    "documents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_number", String(20), ForeignKey("applications.number"), nullable=False),
    Column("account_id", String(36), nullable=False),  # the owner
    Column("attached_to", String(16), nullable=False),  # application | data_update | cpd_activity
    Column("attached_id", String(36), nullable=False),  # the request number, update id or activity id
    Column("kind", String(32), nullable=False),  # domain/documents.DocumentKind
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("filename", String(255)),  # as uploaded, for display only
    Column("storage_key", String(100), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)
Index("ix_documents_attached", documents_table.c.attached_to, documents_table.c.attached_id)
Index("ix_documents_application", documents_table.c.application_number)

# CPD activities a licence holder records, accepted or rejected by a reviewer (0004).
cpd_activities_table = Table(
    "cpd_activities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("membership_number", String(10), ForeignKey("licences.membership_number"), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("title", String(200), nullable=False),
    Column("provider", String(200), nullable=False),
    Column("on", Date, nullable=False),
    Column("hours", Numeric(6, 2), nullable=False),
    Column("status", String(16), nullable=False),  # pending | accepted | rejected
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(36)),
    Column("reason", Text),
)
Index("ix_cpd_activities_membership", cpd_activities_table.c.membership_number, cpd_activities_table.c.on)
Index("ix_cpd_activities_status", cpd_activities_table.c.status, cpd_activities_table.c.recorded_at)
