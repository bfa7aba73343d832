"""The contact projection and the delivery log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
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
        "contacts",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("given_name", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="occurred_at of the event",
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "event_id", sa.Uuid(), nullable=False, comment="The event that asked for this email"
        ),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("thread_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(),
            nullable=False,
            comment="The event, as received; its one-time secrets are wiped once sent",
        ),
        sa.Column(
            "recipient",
            sa.Text(),
            nullable=True,
            comment="Address the email went (or goes) to; account emails know it from the start",
        ),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column(
            "attempts",
            sa.Integer(),
            nullable=False,
            server_default="0",
            comment="SMTP transactions",
        ),
        sa.Column(
            "failures",
            sa.Integer(),
            nullable=False,
            server_default="0",
            comment="Transient failures in a row since the last replay: drives the backoff",
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "wait_until", sa.DateTime(timezone=True), nullable=True, comment="Contact wait bound"
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replayed_by", sa.Uuid(), nullable=True),
        sa.UniqueConstraint("event_id", "kind", name="deliveries_event_kind_key"),
        sa.CheckConstraint(
            "status IN ('waiting_contact', 'pending', 'sending', 'sent', 'dead')",
            name="deliveries_status_check",
        ),
    )
    op.create_index(
        "deliveries_due_idx",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "deliveries_waiting_idx",
        "deliveries",
        ["member_id", "wait_until"],
        postgresql_where=sa.text("status = 'waiting_contact'"),
    )
    op.create_index(
        "deliveries_sending_idx",
        "deliveries",
        ["claimed_at"],
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.create_index("deliveries_thread_idx", "deliveries", ["fund", "thread_id", "created_at"])
    op.create_index("deliveries_member_idx", "deliveries", ["fund", "member_id", "created_at"])
    op.create_index(
        "deliveries_dead_idx",
        "deliveries",
        ["fund", "dead_at"],
        postgresql_where=sa.text("status = 'dead'"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("contacts")
