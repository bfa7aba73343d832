"""Sensitive changes: an agent's password is chosen by the agent, through a one-time link a
supervisor or an admin has sent (managers never set another agent's password).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_password_resets",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), comment="The supervisor or admin who sent the link"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(
        "agent_password_resets_agent_idx", "agent_password_resets", ["agent_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("agent_password_resets_agent_idx", table_name="agent_password_resets")
    op.drop_table("agent_password_resets")
