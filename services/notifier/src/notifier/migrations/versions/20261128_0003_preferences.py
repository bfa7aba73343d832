"""Members' email preferences, and deliveries skipped because the member opted out.

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

STATUSES = "'waiting_contact', 'pending', 'sending', 'sent', 'dead'"


def upgrade() -> None:
    op.create_table(
        "preferences",
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column(
            "thread_emails",
            sa.Boolean(),
            nullable=False,
            comment="Confirmations and reply notices",
        ),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "changed_through",
            sa.Text(),
            nullable=False,
            comment="account (the portal's account page) or unsubscribe_link (from an email)",
        ),
        sa.CheckConstraint(
            "changed_through IN ('account', 'unsubscribe_link')",
            name="preferences_changed_through_check",
        ),
    )
    # A new status of deliveries.
    op.drop_constraint("deliveries_status_check", "deliveries", type_="check")
    op.create_check_constraint(
        "deliveries_status_check", "deliveries", f"status IN ({STATUSES}, 'skipped_opted_out')"
    )


def downgrade() -> None:
    # The skipped deliveries have nowhere to go in the older schema: they are forgotten.
    op.execute("DELETE FROM deliveries WHERE status = 'skipped_opted_out'")
    op.drop_constraint("deliveries_status_check", "deliveries", type_="check")
    op.create_check_constraint("deliveries_status_check", "deliveries", f"status IN ({STATUSES})")
    op.drop_table("preferences")
