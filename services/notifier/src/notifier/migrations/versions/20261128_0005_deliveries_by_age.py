"""Deliveries by age, for the retention sweep.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("deliveries_created_idx", "deliveries", ["created_at"])


def downgrade() -> None:
    op.drop_index("deliveries_created_idx", table_name="deliveries")
