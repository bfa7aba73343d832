"""The editable draft (nodes, online services) and the published versions.

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
        "draft",
        sa.Column("id", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True, comment="The admin who edited last"),
        sa.CheckConstraint("id = 1", name="draft_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO draft (id, revision) VALUES (1, 0)")
    op.create_table(
        "draft_nodes",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("skill", sa.Text(), nullable=True),
        sa.Column("response_time_days", sa.Integer(), nullable=True),
        sa.CheckConstraint("level IN ('theme', 'subject', 'motif')", name="draft_nodes_level"),
        sa.CheckConstraint(
            "(level = 'motif') = (skill IS NOT NULL AND response_time_days IS NOT NULL)",
            name="draft_nodes_motif_routing",
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["draft_nodes.code"], deferrable=True, initially="DEFERRED"
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("draft_nodes_parent_idx", "draft_nodes", ["parent_code", "position"])
    op.create_table(
        "draft_online_services",
        sa.Column("node_code", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("call_to_action", sa.Text(), nullable=False),
        sa.Column(
            "fund_urls",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
            comment="Address of the service on a fund's own site, by fund code",
        ),
        sa.ForeignKeyConstraint(
            ["node_code"],
            ["draft_nodes.code"],
            ondelete="CASCADE",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("node_code"),
    )
    op.create_table(
        "catalog_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "published_by", sa.Uuid(), nullable=True, comment="The admin; NULL for reference data"
        ),
        sa.Column("origin", sa.Text(), nullable=False, comment="admin | reference"),
        sa.Column(
            "change_count",
            sa.Integer(),
            nullable=False,
            comment="Changes since the previous version",
        ),
        sa.Column(
            "themes",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="The whole tree, as the snapshot carries it",
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("version >= 1", name="catalog_versions_positive"),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    op.drop_table("catalog_versions")
    op.drop_table("draft_online_services")
    op.drop_index("draft_nodes_parent_idx", table_name="draft_nodes")
    op.drop_table("draft_nodes")
    op.drop_table("draft")
