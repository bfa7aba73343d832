"""The registry of the people each fund covers, and how each member's identity was proven.

``registry_people``: one row per person the funds' systems publish on
``registry.insured-person.v1`` (an update replaces the row, a tombstone deletes it);
enrolments are checked against it. ``members.identity_proof``: how the activation code
reached the person (``letter``, ``fund-email``) or ``franceconnect``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_people",
        sa.Column("nir", sa.Text(), nullable=False, comment="13 characters, without the key"),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("usage_name", sa.Text()),
        sa.Column("given_names", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("birthplace", sa.Text(), nullable=False, comment="INSEE code or 99xxx"),
        sa.Column("address", postgresql.JSONB(), nullable=False),
        sa.Column("email", sa.Text(), comment="verified by the fund"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nir"),
    )
    op.create_index(
        "registry_people_birth_idx", "registry_people", ["birth_date", "birthplace"], unique=False
    )
    op.add_column("members", sa.Column("identity_proof", sa.Text()))
    op.create_check_constraint(
        "members_identity_proof",
        "members",
        "identity_proof IN ('letter', 'fund-email', 'franceconnect')",
    )


def downgrade() -> None:
    op.drop_constraint("members_identity_proof", "members", type_="check")
    op.drop_column("members", "identity_proof")
    op.drop_index("registry_people_birth_idx", table_name="registry_people")
    op.drop_table("registry_people")
