"""Threads, messages, replies, notes, canned replies, access audit, idempotency keys, the
latest catalog snapshot and the reference counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:52:26.602265
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_by_name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("canned_replies_fund_idx", "canned_replies", ["fund", "title"], unique=False)
    op.create_table(
        "catalog_snapshot",
        sa.Column(
            "id", sa.SmallInteger(), nullable=False, comment="Always 1: the latest snapshot only"
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The CatalogPublished event as received",
        ),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name="catalog_snapshot_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column(
            "fingerprint", sa.Text(), nullable=False, comment="SHA-256 of the request it answered"
        ),
        sa.Column(
            "status_code", sa.SmallInteger(), nullable=True, comment="NULL while the request runs"
        ),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("principal_id", "key"),
    )
    op.create_index(
        "idempotency_keys_created_idx", "idempotency_keys", ["created_at"], unique=False
    )
    op.create_table(
        "reference_counters",
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("fund", "year"),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("member_given_name", sa.Text(), server_default="", nullable=False),
        sa.Column("member_family_name", sa.Text(), server_default="", nullable=False),
        sa.Column("theme_code", sa.Text(), nullable=False),
        sa.Column("theme_label", sa.Text(), nullable=False),
        sa.Column("subject_code", sa.Text(), nullable=False),
        sa.Column("subject_label", sa.Text(), nullable=False),
        sa.Column("motif_code", sa.Text(), nullable=False),
        sa.Column("motif_label", sa.Text(), nullable=False),
        sa.Column("skill", sa.Text(), server_default="", nullable=False),
        sa.Column("response_time_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_name", sa.Text(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unread_replies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_consulted_by_fund_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            server_default=sa.text("''::tsvector"),
            nullable=False,
            comment="Reference, labels and texts of the thread, lower-cased without accents",
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'in_progress', 'answered', 'closed')", name="threads_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index(
        "threads_assignee_queue_idx",
        "threads",
        ["assignee_id", "due_date", "id"],
        unique=False,
        postgresql_where=sa.text("assignee_id IS NOT NULL"),
    )
    op.create_index(
        "threads_closed_idx",
        "threads",
        ["closed_at"],
        unique=False,
        postgresql_where=sa.text("status = 'closed'"),
    )
    op.create_index("threads_fund_queue_idx", "threads", ["fund", "due_date", "id"], unique=False)
    op.create_index(
        "threads_member_activity_idx",
        "threads",
        ["member_id", sa.literal_column("last_activity_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "threads_motif_queue_idx", "threads", ["fund", "motif_code", "due_date", "id"], unique=False
    )
    op.create_index(
        "threads_open_queue_idx",
        "threads",
        ["fund", "due_date", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('submitted', 'in_progress')"),
    )
    op.create_index(
        "threads_search_idx", "threads", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index(
        "threads_status_queue_idx", "threads", ["fund", "status", "due_date", "id"], unique=False
    )
    op.create_table(
        "access_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("agent_name", sa.Text(), nullable=False),
        sa.Column("accessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "access_audit_agent_idx",
        "access_audit",
        ["fund", "agent_id", sa.literal_column("accessed_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_index(
        "access_audit_thread_idx",
        "access_audit",
        ["thread_id", sa.literal_column("accessed_at DESC"), sa.literal_column("id DESC")],
        unique=False,
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column(
            "author_kind",
            sa.Text(),
            nullable=False,
            comment="member: the member wrote; agent: a reply",
        ),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_name", sa.Text(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("follow_up", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("canned_reply_id", sa.Uuid(), nullable=True),
        sa.Column(
            "read_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Replies: read by the member",
        ),
        sa.CheckConstraint("author_kind IN ('member', 'agent')", name="messages_author_kind"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "messages_thread_idx", "messages", ["thread_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("notes_thread_idx", "notes", ["thread_id", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("notes_thread_idx", table_name="notes")
    op.drop_table("notes")
    op.drop_index("messages_thread_idx", table_name="messages")
    op.drop_table("messages")
    op.drop_index("access_audit_thread_idx", table_name="access_audit")
    op.drop_index("access_audit_agent_idx", table_name="access_audit")
    op.drop_table("access_audit")
    op.drop_index("threads_status_queue_idx", table_name="threads")
    op.drop_index("threads_search_idx", table_name="threads", postgresql_using="gin")
    op.drop_index(
        "threads_open_queue_idx",
        table_name="threads",
        postgresql_where=sa.text("status IN ('submitted', 'in_progress')"),
    )
    op.drop_index("threads_motif_queue_idx", table_name="threads")
    op.drop_index("threads_member_activity_idx", table_name="threads")
    op.drop_index("threads_fund_queue_idx", table_name="threads")
    op.drop_index(
        "threads_closed_idx", table_name="threads", postgresql_where=sa.text("status = 'closed'")
    )
    op.drop_index(
        "threads_assignee_queue_idx",
        table_name="threads",
        postgresql_where=sa.text("assignee_id IS NOT NULL"),
    )
    op.drop_table("threads")
    op.drop_table("reference_counters")
    op.drop_index("idempotency_keys_created_idx", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("catalog_snapshot")
    op.drop_index("canned_replies_fund_idx", table_name="canned_replies")
    op.drop_table("canned_replies")
