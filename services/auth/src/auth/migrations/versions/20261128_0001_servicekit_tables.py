"""The outbox and processed-events tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

from servicekit.migrations import create_servicekit_tables, drop_servicekit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_servicekit_tables(op)


def downgrade() -> None:
    drop_servicekit_tables(op)
