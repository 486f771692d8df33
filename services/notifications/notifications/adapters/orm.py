"""The service's tables: the messaging tables every service carries, the people it writes to, and
the delivery log (one row per e-mail, which the mailer drains)."""

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

# Events from services other than accounts name a person only by account id; this is where the
# address and language to write to are found.
recipients_table = Table(
    "recipients",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("full_name", Text, nullable=False),
    Column("language", String(8), nullable=False),
    # When the event these details come from happened: an older event never overwrites a newer one.
    Column("updated_at", UTCDateTime, nullable=False),
)

deliveries_table = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("template", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("language", String(8), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # The e-mail carries a secret (a code) valid until then: not sent after, its bodies blanked out.
    Column("secret_until", UTCDateTime),
    UniqueConstraint("event_id", "template", "recipient", name="uq_deliveries_event_template_recipient"),
)
Index("ix_deliveries_due", deliveries_table.c.status, deliveries_table.c.next_attempt_at)
Index("ix_deliveries_recipient", deliveries_table.c.recipient, deliveries_table.c.created_at)
Index("ix_deliveries_created", deliveries_table.c.created_at)
# The mailer's blanking of expired codes (adapters/deliveries.blank_expired), every ten seconds:
# only the deliveries that carry a secret, not every e-mail ever sent.
_carrying = deliveries_table.c.secret_until.isnot(None)
Index("ix_deliveries_secret", deliveries_table.c.secret_until, postgresql_where=_carrying, sqlite_where=_carrying)
