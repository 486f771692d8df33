"""signing keys sealed under the key-encryption key, retired rather than inactive; failed logins
by client address; code resend requests by e-mail address; outbox rows that expire with their secret

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from accounts.adapters.sealing import KeySealer, key_encryption_key
from accounts.settings import KEY_ENCRYPTION_KEY
from mumaris_shared.db import UTCDateTime
from mumaris_shared.events import utcnow

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("expires_at", UTCDateTime))
    op.add_column("signing_keys", sa.Column("private_key", sa.Text))
    op.add_column("signing_keys", sa.Column("retired_at", UTCDateTime))
    keys = sa.table(
        "signing_keys",
        sa.column("kid", sa.String),
        sa.column("private_pem", sa.Text),
        sa.column("private_key", sa.Text),
        sa.column("active", sa.Boolean),
        sa.column("retired_at", UTCDateTime),
    )
    sealer = KeySealer(key_encryption_key(KEY_ENCRYPTION_KEY.required()))
    connection = op.get_bind()
    for row in connection.execute(sa.select(keys.c.kid, keys.c.private_pem, keys.c.active)).all():
        connection.execute(
            keys.update()
            .where(keys.c.kid == row.kid)
            .values(
                private_key=sealer.seal(row.kid, row.private_pem.encode()),
                retired_at=None if row.active else utcnow(),
            )
        )
    with op.batch_alter_table("signing_keys") as batch:
        batch.drop_column("private_pem")
        batch.drop_column("active")
        batch.alter_column("private_key", existing_type=sa.Text, nullable=False)

    # Failures counted by e-mail address locked the address's owner out: they are not carried over.
    op.drop_index("ix_login_attempts_email", "login_attempts")
    op.drop_table("login_attempts")
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(45), nullable=False),
        sa.Column("failed_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_login_failures_client", "login_failures", ["client", "failed_at"])
    op.create_table(
        "code_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_code_requests_email", "code_requests", ["email", "requested_at"])


def downgrade() -> None:
    raise NotImplementedError("signing keys are not unsealed back into the database")
