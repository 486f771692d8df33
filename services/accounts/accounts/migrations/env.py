from alembic import context

from accounts.adapters.orm import metadata
from mumaris_shared.migrations import run_env

run_env(context, metadata)
