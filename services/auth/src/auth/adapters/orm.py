"""Tables of the auth service (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData()

MEMBERS = Table(
    "members",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("nir", Text, nullable=False, unique=True, comment="13 characters, without the key"),
    Column("birth_date", Date, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("fund", Text, nullable=False),
    Column("password_hash", Text, nullable=False, comment="argon2id"),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("activated_at", DateTime(timezone=True)),
    Column("identity_proof", Text, comment="letter, fund-email or franceconnect"),
    CheckConstraint("status IN ('pending', 'active')", name="members_status"),
    CheckConstraint(
        "identity_proof IN ('letter', 'fund-email', 'franceconnect')",
        name="members_identity_proof",
    ),
)

REGISTRY_PEOPLE = Table(
    "registry_people",
    metadata,
    Column("nir", Text, primary_key=True, comment="13 characters, without the key"),
    Column("fund", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("usage_name", Text),
    Column("given_names", ARRAY(Text), nullable=False),
    Column("birthplace", Text, nullable=False, comment="INSEE code or 99xxx"),
    Column("address", JSONB, nullable=False),
    Column("email", Text, comment="verified by the fund"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("registry_people_birth_idx", "birth_date", "birthplace"),
)

AGENTS = Table(
    "agents",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text, nullable=False, unique=True, comment="lower case"),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("fund", Text, nullable=False),
    Column("skills", ARRAY(Text), nullable=False, server_default="{}"),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="agents_role"),
    Index("agents_fund_idx", "fund"),
)

ONE_TIME_CODES = Table(
    "one_time_codes",
    metadata,
    Column("member_id", Uuid, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("purpose", Text, primary_key=True),
    Column("code_hash", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("new_email", Text),
)

PASSWORD_RESETS = Table(
    "password_resets",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("member_id", Uuid, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("password_resets_member_idx", "member_id"),
)

SESSIONS = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("csrf_hash", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("franceconnect_id_token", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column(
        "revocation_released_at",
        DateTime(timezone=True),
        comment="When the revocation's tombstone was published (its tokens had expired)",
    ),
    Index("sessions_subject_idx", "subject_id"),
    Index(
        "sessions_revocation_pending_idx",
        "revoked_at",
        postgresql_where=text("revoked_at IS NOT NULL AND revocation_released_at IS NULL"),
    ),
)

REFRESH_TOKENS = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("session_id", Uuid, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), comment="set when rotated: reuse is theft"),
    Index("refresh_tokens_session_idx", "session_id"),
)

LOGIN_THROTTLES = Table(
    "login_throttles",
    metadata,
    Column("key", Text, primary_key=True, comment="account typed or client address"),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_failure_at", DateTime(timezone=True)),
    Column("locked_until", DateTime(timezone=True)),
)

SIGNING_KEYS = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("private_pem", LargeBinary, nullable=False, comment="PKCS#8, encrypted"),
    Column("public_jwk", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("activated_at", DateTime(timezone=True)),
    Column("retired_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('next', 'active', 'retired')", name="signing_keys_status"),
    Index(
        "signing_keys_one_active",
        "status",
        unique=True,
        postgresql_where=text("status = 'active'"),
    ),
)

FRANCECONNECT_REQUESTS = Table(
    "franceconnect_requests",
    metadata,
    Column("state", Text, primary_key=True),
    Column("nonce", Text, nullable=False, unique=True),
    Column("binding_hash", Text, nullable=False, comment="ties the answer to the browser"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

FRANCECONNECT_LINKS = Table(
    "franceconnect_links",
    metadata,
    Column("subject", Text, primary_key=True, comment="FranceConnect sub for our client"),
    Column(
        "member_id",
        Uuid,
        ForeignKey("members.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("how", Text, nullable=False, comment="pivot or password"),
)

FRANCECONNECT_PENDING = Table(
    "franceconnect_pending",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("subject", Text, nullable=False),
    Column("id_token", Text, nullable=False),
    Column("identity", JSONB, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

SECURITY_EVENTS = Table(
    "security_events",
    metadata,
    Column("id", Uuid, primary_key=True, comment="The event id published on the trail topic"),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("kind", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("fund", Text, comment="Fund of the account concerned (null: no such account)"),
    Column("subject_kind", Text),
    Column("subject_id", Uuid),
    Column("subject_label", Text, comment="masked number or agent email"),
    Column("actor_kind", Text, nullable=False),
    Column("actor_id", Uuid),
    Column("actor_label", Text),
    Column("address_hash", Text, comment="HMAC-SHA-256 of the client address, never the address"),
    Column("method", Text),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    CheckConstraint("outcome IN ('success', 'failure')", name="security_events_outcome"),
    Index("security_events_occurred_idx", "occurred_at", "id"),
    Index("security_events_fund_idx", "fund", "occurred_at"),
    Index("security_events_subject_idx", "subject_id"),
    Index("security_events_actor_idx", "actor_id"),
)

AGENT_PASSWORD_RESETS = Table(
    "agent_password_resets",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("agent_id", Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
    Column("requested_by", Uuid, comment="The supervisor or admin who sent the link"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("agent_password_resets_agent_idx", "agent_id"),
)
