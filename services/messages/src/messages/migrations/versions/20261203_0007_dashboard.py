"""The supervisors' dashboard projection: its own tables, written only from the messages
topics' events (never from the threads' tables).

- dashboard_state: one row, the live generation (1 or 2: a rebuild fills the other, then
  switches), when the latest event applied happened and when the projection was rebuilt.
- dashboard_threads: per generation and thread, what its events said (fund, theme, when it
  was sent, its due date, its first answer, its closing unanswered) and, computed once both
  are known, the working days to the first answer and whether it came by the due date.
- dashboard_relances: each « Je n'ai pas compris la réponse », by event id.
- dashboard_satisfaction: the latest answer to « Cette réponse vous a-t-elle aidé ? » per
  reply (no comment: events never carry it).

Empty at first: the projection's consumers read the topics from their beginning, and
``python -m messages dashboard-rebuild`` replays them at any time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_state",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("live_generation", sa.SmallInteger, nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True)),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("id = 1", name="dashboard_state_single_row"),
        sa.CheckConstraint("live_generation IN (1, 2)", name="dashboard_state_generation"),
    )
    op.execute("INSERT INTO dashboard_state (id, live_generation) VALUES (1, 1)")
    op.create_table(
        "dashboard_threads",
        sa.Column("generation", sa.SmallInteger, primary_key=True),
        sa.Column("thread_id", sa.Uuid, primary_key=True),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("theme_code", sa.Text),
        sa.Column("theme_label", sa.Text),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("due_date", sa.Date),
        sa.Column("first_reply_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("first_answer_working_days", sa.Integer),
        sa.Column("answered_on_time", sa.Boolean),
    )
    op.create_index(
        "dashboard_threads_submitted_idx",
        "dashboard_threads",
        ["generation", "fund", "submitted_at"],
    )
    op.create_index(
        "dashboard_threads_answered_idx",
        "dashboard_threads",
        ["generation", "fund", "first_reply_at"],
    )
    op.create_table(
        "dashboard_relances",
        sa.Column("generation", sa.SmallInteger, primary_key=True),
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("thread_id", sa.Uuid, nullable=False),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("theme_code", sa.Text, nullable=False),
        sa.Column("theme_label", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "dashboard_relances_idx", "dashboard_relances", ["generation", "fund", "occurred_at"]
    )
    op.create_table(
        "dashboard_satisfaction",
        sa.Column("generation", sa.SmallInteger, primary_key=True),
        sa.Column("reply_id", sa.Uuid, primary_key=True),
        sa.Column("thread_id", sa.Uuid, nullable=False),
        sa.Column("fund", sa.Text, nullable=False),
        sa.Column("theme_code", sa.Text, nullable=False),
        sa.Column("theme_label", sa.Text, nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "dashboard_satisfaction_idx",
        "dashboard_satisfaction",
        ["generation", "fund", "answered_at"],
    )


def downgrade() -> None:
    op.drop_table("dashboard_satisfaction")
    op.drop_table("dashboard_relances")
    op.drop_table("dashboard_threads")
    op.drop_table("dashboard_state")
