"""Tables of the catalog service.

The draft is normalized (one row per node, one per online service) so admins edit it piece
by piece; a published version is immutable and kept whole, as the JSON the snapshot event
carries.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

#: One row: the draft's revision, locked by every edit and publication so they queue.
DRAFT = Table(
    "draft",
    metadata,
    Column("id", SmallInteger, primary_key=True, server_default="1"),
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=True),
    Column("updated_by", Uuid, nullable=True, comment="The admin who edited last"),
    CheckConstraint("id = 1", name="draft_single_row"),
)

DRAFT_NODES = Table(
    "draft_nodes",
    metadata,
    Column("code", Text, primary_key=True),
    Column("level", Text, nullable=False),
    Column(
        "parent_code",
        Text,
        ForeignKey("draft_nodes.code", deferrable=True, initially="DEFERRED"),
        nullable=True,
    ),
    Column("label", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("skill", Text, nullable=True),
    Column("response_time_days", Integer, nullable=True),
    CheckConstraint("level IN ('theme', 'subject', 'motif')", name="draft_nodes_level"),
    CheckConstraint(
        "(level = 'motif') = (skill IS NOT NULL AND response_time_days IS NOT NULL)",
        name="draft_nodes_motif_routing",
    ),
    Index("draft_nodes_parent_idx", "parent_code", "position"),
)

DRAFT_ONLINE_SERVICES = Table(
    "draft_online_services",
    metadata,
    Column(
        "node_code",
        Text,
        ForeignKey("draft_nodes.code", ondelete="CASCADE", deferrable=True, initially="DEFERRED"),
        primary_key=True,
    ),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("url", Text, nullable=False),
    Column("call_to_action", Text, nullable=False),
    Column(
        "fund_urls",
        JSONB,
        nullable=False,
        server_default="{}",
        comment="Address of the service on a fund's own site, by fund code",
    ),
)

VERSIONS = Table(
    "catalog_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", Uuid, nullable=True, comment="The admin; NULL for reference data"),
    Column("origin", Text, nullable=False, comment="admin | reference"),
    Column("change_count", Integer, nullable=False, comment="Changes since the previous version"),
    Column("themes", JSONB, nullable=False, comment="The whole tree, as the snapshot carries it"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("version >= 1", name="catalog_versions_positive"),
)
