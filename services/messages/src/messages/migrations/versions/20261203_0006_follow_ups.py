"""Follow-ups of a reply: « Je n'ai pas compris la réponse », « Demande de précisions » and
the satisfaction question.

- threads: the status ``awaiting_member`` (a reply asked the member for details: the fund's
  due date is suspended); ``relance`` (the member did not understand a reply: the thread is
  pinned on top of the fund's queue until an agent answers); ``awaiting_member_since``,
  ``suspended_working_days`` (the working days left when the due date was suspended) and
  ``details_reminded_at`` (the reminder was published); a partial index on the threads
  awaiting the member, read by the timers, and one on the open « relances » of a fund.
- messages: ``asks_for_details`` (a reply marked « Demande de précisions ») and
  ``not_understood_at`` (when the member said they did not understand that reply).
- reply_satisfaction: one answer per reply (its primary key), with the optional comment.
- receipt_check_throttles: the public check of a proof of deposit, counted per client
  address (``servicekit.throttling``).

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

OLD_STATUSES = "status IN ('submitted', 'in_progress', 'answered', 'closed')"
NEW_STATUSES = "status IN ('submitted', 'in_progress', 'answered', 'awaiting_member', 'closed')"


def upgrade() -> None:
    op.drop_constraint("threads_status", "threads", type_="check")
    op.create_check_constraint("threads_status", "threads", NEW_STATUSES)
    op.add_column(
        "threads",
        sa.Column(
            "relance",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="The member did not understand a reply: on top of the queue until answered",
        ),
    )
    op.add_column(
        "threads",
        sa.Column(
            "awaiting_member_since",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When a reply asked the member for details (status awaiting_member)",
        ),
    )
    op.add_column(
        "threads",
        sa.Column(
            "suspended_working_days",
            sa.Integer(),
            nullable=True,
            comment="Working days left on the due date when it was suspended",
        ),
    )
    op.add_column(
        "threads",
        sa.Column(
            "details_reminded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the member was reminded of the details asked for",
        ),
    )
    op.create_index(
        "threads_awaiting_member_idx",
        "threads",
        ["awaiting_member_since"],
        postgresql_where=sa.text("status = 'awaiting_member'"),
    )
    op.create_index(
        "threads_relance_queue_idx",
        "threads",
        ["fund", "due_date", "id"],
        postgresql_where=sa.text("relance AND status IN ('submitted', 'in_progress')"),
    )
    op.add_column(
        "messages",
        sa.Column(
            "asks_for_details",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="Replies: marked « Demande de précisions »",
        ),
    )
    op.add_column(
        "messages",
        sa.Column(
            "not_understood_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Replies: when the member said they did not understand it",
        ),
    )
    op.create_table(
        "reply_satisfaction",
        sa.Column(
            "reply_id",
            sa.Uuid(),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
            comment="One answer per reply",
        ),
        sa.Column(
            "thread_id",
            sa.Uuid(),
            sa.ForeignKey("threads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "first_answered_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="The answer can be changed for 7 days from then",
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("reply_satisfaction_thread_idx", "reply_satisfaction", ["thread_id"])
    op.create_table(
        "receipt_check_throttles",
        sa.Column(
            "key", sa.Text(), primary_key=True, comment="Client address checking proofs of deposit"
        ),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(timezone=True)),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("receipt_check_throttles")
    op.drop_table("reply_satisfaction")
    op.drop_column("messages", "not_understood_at")
    op.drop_column("messages", "asks_for_details")
    op.drop_index("threads_relance_queue_idx", table_name="threads")
    op.drop_index("threads_awaiting_member_idx", table_name="threads")
    op.execute("UPDATE threads SET status = 'answered' WHERE status = 'awaiting_member'")
    for column in ("details_reminded_at", "suspended_working_days", "awaiting_member_since"):
        op.drop_column("threads", column)
    op.drop_column("threads", "relance")
    op.drop_constraint("threads_status", "threads", type_="check")
    op.create_check_constraint("threads_status", "threads", OLD_STATUSES)
