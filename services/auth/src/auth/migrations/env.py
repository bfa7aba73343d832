from auth.adapters.orm import metadata
from servicekit.migrations import run_alembic_env

run_alembic_env(metadata)
