"""signing keys sealed under the key-encryption key, retired rather than inactive

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from accounts.adapters.sealing import KeySealer, key_encryption_key
from accounts.settings import KEY_ENCRYPTION_KEY
from mumaris_shared.db import UTCDateTime
from mumaris_shared.events import utcnow

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
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


def downgrade() -> None:
    raise NotImplementedError("signing keys are not unsealed back into the database")
