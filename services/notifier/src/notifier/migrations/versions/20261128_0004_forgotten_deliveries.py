"""Deliveries of members whose account was deleted: when their personal data was erased, and
an index to find a member's deliveries without their fund.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column(
            "forgotten_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment=(
                "When the member's account was deleted: recipient, names, codes and addresses "
                "erased, never sent again"
            ),
        ),
    )
    # A tombstone knows the member id only (the contact, and with it the fund, may be gone).
    op.create_index("deliveries_member_id_idx", "deliveries", ["member_id"])


def downgrade() -> None:
    op.drop_index("deliveries_member_id_idx", table_name="deliveries")
    op.drop_column("deliveries", "forgotten_at")
