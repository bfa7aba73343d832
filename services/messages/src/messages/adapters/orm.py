"""Tables of the messages service (SQLAlchemy Core).

The indexes follow the listing queries, each read in index order with keyset pagination:
- a member's threads, newest activity first: ``threads_member_activity_idx``;
- the agents' queue of a fund by due date: ``threads_open_queue_idx`` (the default view,
  threads waiting for the fund), ``threads_status_queue_idx`` (one status),
  ``threads_fund_queue_idx`` (every status), ``threads_assignee_open_queue_idx`` and
  ``threads_assignee_status_queue_idx`` (assigned to me), ``threads_motif_open_queue_idx``
  (one motif among open threads), ``threads_skill_open_queue_idx`` (one skill among open
  threads; several skills are read skill by skill and merged in due-date order); other
  filters are read from these indexes in order;
- retention: ``threads_closed_idx``;
- the queue's counts of open threads: ``threads_open_counts_idx`` (covering: read without the
  table); the other statuses are counted in ``thread_counts``;
- the « relances » pinned on top of a fund's queue: ``threads_relance_queue_idx``; the
  timers of the threads awaiting the member's details: ``threads_awaiting_member_idx``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    Text,
    Uuid,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from servicekit.throttling import throttle_table

metadata = MetaData()

OPEN_STATUSES_SQL = "status IN ('submitted', 'in_progress')"

CATALOG_SNAPSHOT = Table(
    "catalog_snapshot",
    metadata,
    Column("id", SmallInteger, primary_key=True, comment="Always 1: the latest snapshot only"),
    Column("version", Integer, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False, comment="The CatalogPublished event as received"),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("id = 1", name="catalog_snapshot_single_row"),
)

REFERENCE_COUNTERS = Table(
    "reference_counters",
    metadata,
    Column("fund", Text, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)

THREADS = Table(
    "threads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("reference", Text, nullable=False, unique=True),
    Column("fund", Text, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("member_given_name", Text, nullable=False, server_default=""),
    Column("member_family_name", Text, nullable=False, server_default=""),
    Column("theme_code", Text, nullable=False),
    Column("theme_label", Text, nullable=False),
    Column("subject_code", Text, nullable=False),
    Column("subject_label", Text, nullable=False),
    Column("motif_code", Text, nullable=False),
    Column("motif_label", Text, nullable=False),
    Column(
        "skill",
        Text,
        nullable=True,
        comment="Routing: the motif's skill when the thread was sent; NULL if it is not known",
    ),
    Column("response_time_days", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_activity_at", DateTime(timezone=True), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("assignee_id", Uuid, nullable=True),
    Column("assignee_name", Text, nullable=True),
    Column("assigned_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("unread_replies", Integer, nullable=False, server_default="0"),
    Column("last_consulted_by_fund_at", DateTime(timezone=True), nullable=True),
    Column(
        "relance",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="The member did not understand a reply: on top of the queue until answered",
    ),
    Column(
        "awaiting_member_since",
        DateTime(timezone=True),
        nullable=True,
        comment="When a reply asked the member for details (status awaiting_member)",
    ),
    Column(
        "suspended_working_days",
        Integer,
        nullable=True,
        comment="Working days left on the due date when it was suspended",
    ),
    Column(
        "details_reminded_at",
        DateTime(timezone=True),
        nullable=True,
        comment="When the member was reminded of the details asked for",
    ),
    Column(
        "search_vector",
        TSVECTOR,
        nullable=False,
        server_default=text("''::tsvector"),
        comment="Reference, labels and texts of the thread, lower-cased without accents",
    ),
    CheckConstraint(
        "status IN ('submitted', 'in_progress', 'answered', 'awaiting_member', 'closed')",
        name="threads_status",
    ),
    Index(
        "threads_member_activity_idx",
        "member_id",
        text("last_activity_at DESC"),
        text("id DESC"),
    ),
    Index(
        "threads_open_queue_idx",
        "fund",
        "due_date",
        "id",
        postgresql_where=text(OPEN_STATUSES_SQL),
    ),
    Index("threads_status_queue_idx", "fund", "status", "due_date", "id"),
    Index("threads_fund_queue_idx", "fund", "due_date", "id"),
    Index(
        "threads_assignee_open_queue_idx",
        "assignee_id",
        "due_date",
        "id",
        postgresql_where=text(OPEN_STATUSES_SQL),
    ),
    Index(
        "threads_assignee_status_queue_idx",
        "assignee_id",
        "status",
        "due_date",
        "id",
        postgresql_where=text("assignee_id IS NOT NULL"),
    ),
    Index(
        "threads_motif_open_queue_idx",
        "fund",
        "motif_code",
        "due_date",
        "id",
        postgresql_where=text(OPEN_STATUSES_SQL),
    ),
    Index(
        "threads_skill_open_queue_idx",
        "fund",
        "skill",
        "due_date",
        "id",
        postgresql_where=text(OPEN_STATUSES_SQL),
    ),
    Index("threads_closed_idx", "closed_at", postgresql_where=text("status = 'closed'")),
    Index(
        "threads_awaiting_member_idx",
        "awaiting_member_since",
        postgresql_where=text("status = 'awaiting_member'"),
    ),
    Index(
        "threads_relance_queue_idx",
        "fund",
        "due_date",
        "id",
        postgresql_where=text(f"relance AND {OPEN_STATUSES_SQL}"),
    ),
    Index("threads_search_idx", "search_vector", postgresql_using="gin"),
    # The queue's counts of open threads, read from the index alone (see THREAD_COUNTS).
    Index(
        "threads_open_counts_idx",
        "fund",
        "theme_code",
        "subject_code",
        "motif_code",
        postgresql_include=["status", "skill", "assignee_id", "due_date", "relance"],
        postgresql_where=text(OPEN_STATUSES_SQL),
    ),
)

#: How many threads are answered, awaiting the member or closed (the statuses a fund's
#: history piles up in), per fund, catalog node, skill and assignee: what the queue's counts
#: read instead of the history itself. Kept by a trigger on threads (migration 0012) in the
#: transaction that changes a thread, so always exact; open threads are counted from threads.
THREAD_COUNTS = Table(
    "thread_counts",
    metadata,
    Column("fund", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("theme_code", Text, nullable=False),
    Column("subject_code", Text, nullable=False),
    Column("motif_code", Text, nullable=False),
    Column("skill", Text, nullable=True),
    Column("assignee_id", Uuid, nullable=True),
    Column("total", BigInteger, nullable=False),
    Index(
        "thread_counts_key",
        "fund",
        "status",
        "theme_code",
        "subject_code",
        "motif_code",
        "skill",
        "assignee_id",
        unique=True,
        postgresql_nulls_not_distinct=True,
    ),
)

MESSAGES = Table(
    "messages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("author_kind", Text, nullable=False, comment="member: the member wrote; agent: a reply"),
    Column("author_id", Uuid, nullable=False),
    Column("author_name", Text, nullable=False, server_default=""),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("follow_up", Boolean, nullable=False, server_default="false"),
    Column("canned_reply_id", Uuid, nullable=True),
    Column(
        "read_at", DateTime(timezone=True), nullable=True, comment="Replies: read by the member"
    ),
    Column(
        "deposit_sha256",
        Text,
        nullable=True,
        comment="Member's messages: SHA-256 of the canonical form printed on the proof of deposit",
    ),
    Column(
        "asks_for_details",
        Boolean,
        nullable=False,
        server_default=false(),
        comment="Replies: marked « Demande de précisions »",
    ),
    Column(
        "not_understood_at",
        DateTime(timezone=True),
        nullable=True,
        comment="Replies: when the member said they did not understand it",
    ),
    CheckConstraint("author_kind IN ('member', 'agent')", name="messages_author_kind"),
    Index("messages_thread_idx", "thread_id", "created_at", "id"),
)

REPLY_SATISFACTION = Table(
    "reply_satisfaction",
    metadata,
    Column(
        "reply_id",
        Uuid,
        ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
        comment="One answer per reply",
    ),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("comment", Text, nullable=True),
    Column(
        "first_answered_at",
        DateTime(timezone=True),
        nullable=False,
        comment="The answer can be changed for 7 days from then",
    ),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    Index("reply_satisfaction_thread_idx", "thread_id"),
)

NOTES = Table(
    "notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Uuid, nullable=False),
    Column("author_name", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("notes_thread_idx", "thread_id", "created_at", "id"),
)

ACCESS_AUDIT = Table(
    "access_audit",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("fund", Text, nullable=False),
    Column("agent_id", Uuid, nullable=False),
    Column("agent_name", Text, nullable=False),
    Column("accessed_at", DateTime(timezone=True), nullable=False),
    Index("access_audit_thread_idx", "thread_id", text("accessed_at DESC"), text("id DESC")),
    Index("access_audit_agent_idx", "fund", "agent_id", text("accessed_at DESC"), text("id DESC")),
)

CANNED_REPLIES = Table(
    "canned_replies",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("fund", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by_id", Uuid, nullable=True),
    Column("updated_by_name", Text, nullable=True),
    Index("canned_replies_fund_idx", "fund", "title"),
)

#: The public check of a proof of deposit, counted per client address (``servicekit.throttling``).
RECEIPT_CHECK_THROTTLES = throttle_table(
    "receipt_check_throttles", metadata, key_comment="Client address checking proofs of deposit"
)

IDEMPOTENCY_KEYS = Table(
    "idempotency_keys",
    metadata,
    Column("principal_id", Uuid, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False, comment="SHA-256 of the request it answered"),
    Column("status_code", SmallInteger, nullable=True, comment="NULL while the request runs"),
    Column("response", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("idempotency_keys_created_idx", "created_at"),
)

#: Files joined to messages and replies (`adapters/attachments.py`). The bytes are in the object
#: storage under ``storage_key`` (random: no name, no NIR); ``name`` is shown, never logged.
#: A message or thread deleted (retention) leaves its rows without ``message_id``: the
#: unattached-uploads cleanup then removes them and their objects.
ATTACHMENTS = Table(
    "attachments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("storage_key", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("media_type", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("fund", Text, nullable=False),
    Column("uploader_kind", Text, nullable=False),
    Column("uploader_id", Uuid, nullable=False),
    Column("thread_id", Uuid, ForeignKey("threads.id", ondelete="SET NULL"), nullable=True),
    Column("message_id", Uuid, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True),
    Column("position", SmallInteger, nullable=True, comment="Order within its message"),
    Column("scan_status", Text, nullable=False, server_default="pending"),
    Column("scanned_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attached_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("uploader_kind IN ('member', 'agent')", name="attachments_uploader_kind"),
    CheckConstraint(
        "scan_status IN ('pending', 'clean', 'infected')", name="attachments_scan_status"
    ),
    Index("attachments_message_idx", "message_id", "position"),
    Index("attachments_unattached_idx", "created_at", postgresql_where=text("message_id IS NULL")),
    Index("attachments_uploader_idx", "uploader_id", "created_at"),
)

#: The directory of agents, kept from ``auth.agents.v1``: who may be given a thread, with
#: the name and skills the auth service holds (never what a request says). ``changed_at`` is
#: the event's time: an older event read again never overwrites a newer state.
AGENTS_DIRECTORY = Table(
    "agents_directory",
    metadata,
    Column("agent_id", Uuid, primary_key=True),
    Column("fund", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("skills", ARRAY(Text), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
