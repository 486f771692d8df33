from alembic import context

from mumaris_shared.migrations import run_env
from portal.adapters.orm import metadata

run_env(context, metadata)
