"""The service's tables. migrations/versions/0001_initial.py creates the same; a test compares them."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from mumaris_shared.db import UTCDateTime, messaging_tables

metadata = MetaData()
outbox_table, inbox_table = messaging_tables(metadata)

accounts_table = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),  # normalised: trimmed, lower-case
    Column("full_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("national_id", String(10)),  # staff made by the command have none
    Column("mobile", String(16)),  # E.164
    Column("language", String(2), nullable=False),
    Column("status", String(32), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("activated_at", UTCDateTime),
    # Tokens carry the version they were issued under; a password reset or change moves it on, so
    # accounts refuses every token issued before (0002).
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
)

verification_codes_table = Table(
    "verification_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("reason", String(16), nullable=False),  # registration | resend | reset
    # activation | password_reset (0002): each purpose has its own current code
    Column("purpose", String(16), nullable=False, default="activation", server_default="activation"),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
)
Index("ix_verification_codes_account", verification_codes_table.c.account_id, verification_codes_table.c.issued_at)

login_attempts_table = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),  # as typed, normalised; not necessarily an account
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_login_attempts_email", login_attempts_table.c.email, login_attempts_table.c.attempted_at)

signing_keys_table = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False),
)

server_secrets_table = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
