"""Members whose account was deleted, remembered for a while: an email asked for before the
deletion but read after its tombstone is recorded forgotten, never sent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten_members",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column(
            "forgotten_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
            comment="When the tombstone was applied; kept as long as processed event ids",
        ),
    )
    op.create_index("forgotten_members_forgotten_at_idx", "forgotten_members", ["forgotten_at"])


def downgrade() -> None:
    op.drop_table("forgotten_members")
