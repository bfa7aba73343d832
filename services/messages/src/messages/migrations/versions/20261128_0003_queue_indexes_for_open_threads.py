"""Queue indexes for open threads: "assigned to me" and "one motif" read only open threads
in due-date order, instead of walking past every closed one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('submitted', 'in_progress')")


def upgrade() -> None:
    op.drop_index(
        "threads_assignee_queue_idx",
        table_name="threads",
        postgresql_where=sa.text("assignee_id IS NOT NULL"),
    )
    op.drop_index("threads_motif_queue_idx", table_name="threads")
    op.create_index(
        "threads_assignee_open_queue_idx",
        "threads",
        ["assignee_id", "due_date", "id"],
        postgresql_where=OPEN,
    )
    op.create_index(
        "threads_assignee_status_queue_idx",
        "threads",
        ["assignee_id", "status", "due_date", "id"],
        postgresql_where=sa.text("assignee_id IS NOT NULL"),
    )
    op.create_index(
        "threads_motif_open_queue_idx",
        "threads",
        ["fund", "motif_code", "due_date", "id"],
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("threads_motif_open_queue_idx", table_name="threads")
    op.drop_index("threads_assignee_status_queue_idx", table_name="threads")
    op.drop_index("threads_assignee_open_queue_idx", table_name="threads")
    op.create_index("threads_motif_queue_idx", "threads", ["fund", "motif_code", "due_date", "id"])
    op.create_index(
        "threads_assignee_queue_idx",
        "threads",
        ["assignee_id", "due_date", "id"],
        postgresql_where=sa.text("assignee_id IS NOT NULL"),
    )
