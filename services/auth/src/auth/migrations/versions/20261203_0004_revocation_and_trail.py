"""Revocations: when a revoked session's tombstone was published on ``auth.revocations.v1``.

A session revoked before its time is published on the revocations topic in the same
transaction; once its last access token has expired, housekeeping publishes the session's
tombstone and records it here. Sessions revoked before this revision were never published:
they count as released.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sessions",
        sa.Column(
            "revocation_released_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the revocation's tombstone was published (its tokens had expired)",
        ),
    )
    op.execute(
        "UPDATE sessions SET revocation_released_at = revoked_at WHERE revoked_at IS NOT NULL"
    )
    op.create_index(
        "sessions_revocation_pending_idx",
        "sessions",
        ["revoked_at"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NOT NULL AND revocation_released_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("sessions_revocation_pending_idx", table_name="sessions")
    op.drop_column("sessions", "revocation_released_at")
