"""The security trail: authentication and account events, kept for supervisors and auditors.

``security_events``: one row per entry, written in the same transaction as the change it
records and as its event on ``auth.security-events.v1``; client addresses as a keyed hash
only. Housekeeping deletes rows older than ``AUTH_SECURITY_TRAIL_DAYS``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_events",
        sa.Column(
            "id", sa.Uuid(), nullable=False, comment="The event id published on the trail topic"
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column(
            "fund", sa.Text(), comment="Fund of the account concerned (null: no such account)"
        ),
        sa.Column("subject_kind", sa.Text()),
        sa.Column("subject_id", sa.Uuid()),
        sa.Column("subject_label", sa.Text(), comment="masked number or agent email"),
        sa.Column("actor_kind", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid()),
        sa.Column("actor_label", sa.Text()),
        sa.Column(
            "address_hash",
            sa.Text(),
            comment="HMAC-SHA-256 of the client address, never the address",
        ),
        sa.Column("method", sa.Text()),
        sa.Column(
            "details",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
        sa.CheckConstraint("outcome IN ('success', 'failure')", name="security_events_outcome"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "security_events_occurred_idx", "security_events", ["occurred_at", "id"], unique=False
    )
    op.create_index(
        "security_events_fund_idx", "security_events", ["fund", "occurred_at"], unique=False
    )
    op.create_index("security_events_subject_idx", "security_events", ["subject_id"], unique=False)
    op.create_index("security_events_actor_idx", "security_events", ["actor_id"], unique=False)


def downgrade() -> None:
    op.drop_index("security_events_actor_idx", table_name="security_events")
    op.drop_index("security_events_subject_idx", table_name="security_events")
    op.drop_index("security_events_fund_idx", table_name="security_events")
    op.drop_index("security_events_occurred_idx", table_name="security_events")
    op.drop_table("security_events")
