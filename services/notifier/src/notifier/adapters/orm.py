"""Tables of the notifier service: the contact projection (and the members forgotten), the
members' preferences and the delivery log."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

#: Where to write to each member, from ``auth.member-contact.v1`` (the latest state).
CONTACTS = Table(
    "contacts",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("fund", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("given_name", Text, nullable=False),
    Column("family_name", Text, nullable=False),
    Column(
        "changed_at", DateTime(timezone=True), nullable=False, comment="occurred_at of the event"
    ),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

#: Members whose account was deleted (a tombstone on the contact topic), remembered as long
#: as processed event ids: an email their events asked for before, read after, is not sent.
FORGOTTEN_MEMBERS = Table(
    "forgotten_members",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column(
        "forgotten_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When the tombstone was applied; kept as long as processed event ids",
    ),
    Index("forgotten_members_forgotten_at_idx", "forgotten_at"),
)

#: What each member chose to receive; a member without a row gets every email.
PREFERENCES = Table(
    "preferences",
    metadata,
    Column("member_id", Uuid, primary_key=True),
    Column("thread_emails", Boolean, nullable=False, comment="Confirmations and reply notices"),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column(
        "changed_through",
        Text,
        nullable=False,
        comment="account (the portal's account page) or unsubscribe_link (from an email)",
    ),
    CheckConstraint(
        "changed_through IN ('account', 'unsubscribe_link')",
        name="preferences_changed_through_check",
    ),
)

#: One email to send, and what became of it: the delivery log.
DELIVERIES = Table(
    "deliveries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("event_id", Uuid, nullable=False, comment="The event that asked for this email"),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("fund", Text, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("thread_id", Uuid, nullable=True),
    Column("reference", Text, nullable=True),
    Column(
        "payload",
        JSONB,
        nullable=False,
        comment="The event, as received; its one-time secrets are wiped once sent",
    ),
    Column(
        "recipient",
        Text,
        nullable=True,
        comment="Address the email went (or goes) to; account emails know it from the start",
    ),
    Column("message_id", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0", comment="SMTP transactions"),
    Column(
        "failures",
        Integer,
        nullable=False,
        server_default="0",
        comment="Transient failures in a row since the last replay: drives the backoff",
    ),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("wait_until", DateTime(timezone=True), nullable=True, comment="Contact wait bound"),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("dead_at", DateTime(timezone=True), nullable=True),
    Column("replayed_at", DateTime(timezone=True), nullable=True),
    Column("replayed_by", Uuid, nullable=True),
    Column(
        "forgotten_at",
        DateTime(timezone=True),
        nullable=True,
        comment=(
            "When the member's account was deleted: recipient, names, codes and addresses "
            "erased, never sent again"
        ),
    ),
    UniqueConstraint("event_id", "kind", name="deliveries_event_kind_key"),
    CheckConstraint(
        "status IN ('waiting_contact', 'pending', 'sending', 'sent', 'dead', 'skipped_opted_out')",
        name="deliveries_status_check",
    ),
    Index(
        "deliveries_due_idx",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index(
        "deliveries_waiting_idx",
        "member_id",
        "wait_until",
        postgresql_where=text("status = 'waiting_contact'"),
    ),
    Index("deliveries_sending_idx", "claimed_at", postgresql_where=text("status = 'sending'")),
    Index("deliveries_thread_idx", "fund", "thread_id", "created_at"),
    Index("deliveries_member_idx", "fund", "member_id", "created_at"),
    Index("deliveries_member_id_idx", "member_id"),
    Index("deliveries_created_idx", "created_at"),
    Index("deliveries_dead_idx", "fund", "dead_at", postgresql_where=text("status = 'dead'")),
)

#: Each postal letter put in the outgoing mail (``auth.postal-letter.v1``): no code, no street.
LETTERS = Table(
    "letters",
    metadata,
    Column("id", Uuid, primary_key=True, comment="the event's id"),
    Column("kind", Text, nullable=False),
    Column("member_id", Uuid, nullable=False),
    Column("fund", Text, nullable=False),
    Column("postal_code", Text, nullable=False),
    Column("city", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Index("letters_posted_at_idx", "posted_at"),
)
