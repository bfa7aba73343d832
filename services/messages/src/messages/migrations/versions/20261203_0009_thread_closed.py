"""Threads closed and reopened, as the dashboard counts them.

- dashboard_closings: per generation, each closing (by an agent, ThreadClosed, or by the
  30-day rule, ThreadClosedUnanswered) and each reopening (ThreadReopened) of a thread, by
  event id. The backlog at a moment leaves out the threads whose latest row before it is a
  closing, so a reopened thread waits again.
- dashboard_threads.closed_at goes: it held only the first closing by the 30-day rule. What
  it held moves to dashboard_closings (under an id made from the thread's, as no event id
  was kept); ``python -m messages dashboard-rebuild`` replays the real events.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_closings",
        sa.Column("generation", sa.SmallInteger, primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("thread_id", sa.Uuid, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "dashboard_closings_thread_idx",
        "dashboard_closings",
        ["generation", "thread_id", "changed_at"],
    )
    op.execute(
        """
        INSERT INTO dashboard_closings (generation, event_id, thread_id, closed, changed_at)
        SELECT generation, md5('closed-unanswered:' || thread_id::text)::uuid, thread_id,
               true, closed_at
        FROM dashboard_threads
        WHERE closed_at IS NOT NULL
        """
    )
    op.drop_column("dashboard_threads", "closed_at")


def downgrade() -> None:
    op.add_column("dashboard_threads", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.execute(
        """
        UPDATE dashboard_threads AS thread
        SET closed_at = (
            SELECT min(closing.changed_at)
            FROM dashboard_closings AS closing
            WHERE closing.generation = thread.generation
              AND closing.thread_id = thread.thread_id
              AND closing.closed
        )
        """
    )
    op.drop_index("dashboard_closings_thread_idx", table_name="dashboard_closings")
    op.drop_table("dashboard_closings")
