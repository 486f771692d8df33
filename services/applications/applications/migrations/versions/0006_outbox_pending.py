"""the outbox's index of unsent rows holds those alone (the relays' claim no longer walks past
the sent ones)

Revision ID: 0006
Revises: 0005
"""
from alembic import op

from mumaris_shared.migrations import index_the_unsent_outbox, unindex_the_unsent_outbox

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_the_unsent_outbox(op)


def downgrade() -> None:
    unindex_the_unsent_outbox(op)
