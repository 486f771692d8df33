"""The portal's own tables: server-side sessions (the access token never leaves them) and the
secret that signs the session cookie. migrations/versions/0001_sessions.py creates the same."""

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, Text

from mumaris_shared.db import UTCDateTime

metadata = MetaData()

sessions_table = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # SHA-256 of the id the cookie carries
    Column("account_id", String(64), nullable=False),
    Column("email", String(254), nullable=False),
    Column("full_name", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("access_token", Text, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),  # the token's expiry: the session's too
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_sessions_account", sessions_table.c.account_id)
Index("ix_sessions_email", sessions_table.c.email)
Index("ix_sessions_expires", sessions_table.c.expires_at)

secrets_table = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
