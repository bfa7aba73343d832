"""Postal letters: each letter the notifier put in the outgoing mail.

``letters``: one row per ``ActivationLetterRequested`` event (its id), with where the PDF was
dropped and to which town it goes; neither the code nor the street is kept here (the PDF,
handed to the post, is the only copy).

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
        "letters",
        sa.Column("id", sa.Uuid(), primary_key=True, comment="the event's id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("postal_code", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("letters_posted_at_idx", "letters", ["posted_at"])


def downgrade() -> None:
    op.drop_index("letters_posted_at_idx", table_name="letters")
    op.drop_table("letters")
