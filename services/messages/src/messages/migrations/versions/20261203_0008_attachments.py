"""Attachments: the files members and agents join to messages and replies.

One row per uploaded file: its random object-storage key, its shown name, checked media type,
size and SHA-256, who uploaded it (and their fund), the message it was sent with (none while
it waits to be sent) and its antivirus scan state. A deleted thread or message leaves its
rows unattached (``SET NULL``), for the cleanup that removes them and their objects.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("storage_key", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("uploader_kind", sa.Text(), nullable=False),
        sa.Column("uploader_id", sa.Uuid(), nullable=False),
        sa.Column(
            "thread_id",
            sa.Uuid(),
            sa.ForeignKey("threads.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "message_id",
            sa.Uuid(),
            sa.ForeignKey("messages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("position", sa.SmallInteger(), nullable=True, comment="Order within its message"),
        sa.Column("scan_status", sa.Text(), nullable=False, server_default="pending"),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "uploader_kind IN ('member', 'agent')", name="attachments_uploader_kind"
        ),
        sa.CheckConstraint(
            "scan_status IN ('pending', 'clean', 'infected')", name="attachments_scan_status"
        ),
    )
    op.create_index("attachments_message_idx", "attachments", ["message_id", "position"])
    op.create_index(
        "attachments_unattached_idx",
        "attachments",
        ["created_at"],
        postgresql_where=sa.text("message_id IS NULL"),
    )
    op.create_index("attachments_uploader_idx", "attachments", ["uploader_id", "created_at"])


def downgrade() -> None:
    op.drop_table("attachments")
