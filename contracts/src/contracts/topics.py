"""Every Kafka topic of the product: name, key, partitions, cleanup policy and its events.

Topic names read ``<service>.<event-in-kebab-case>.v<major>``. The key is the aggregate id
(thread id, member id), so the events of one aggregate stay in order on one partition.
The local stack, the Kubernetes KafkaTopics and the AsyncAPI document are all derived from
this list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from contracts.envelope import Event
from contracts.events.agents import AgentChanged
from contracts.events.attachments import AttachmentScanned, AttachmentUploaded
from contracts.events.auth import (
    AccountChanged,
    AccountLocked,
    ActivationCodeIssued,
    AgentAccountChanged,
    AgentPasswordResetRequested,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    MemberContactChanged,
    PasswordResetRequested,
)
from contracts.events.catalog import CatalogPublished
from contracts.events.dead_letter import EventDeadLettered
from contracts.events.messages import (
    DetailsProvided,
    DetailsReminderDue,
    DetailsRequested,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from contracts.events.registry import ActivationLetterRequested, InsuredPersonRegistered
from contracts.events.security import SecurityEventRecorded, SessionRevoked

DAY_MS = 24 * 3600 * 1000

#: What stands in place of a secret that was removed.
REDACTED = "[supprimé]"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    key: str
    events: tuple[type[Event], ...]
    producer: str
    consumers: tuple[str, ...]
    partitions: int
    cleanup_policy: Literal["delete", "compact"] = "delete"
    retention_ms: int = 7 * DAY_MS
    #: A compacted topic may carry a record with no value: the aggregate was deleted.
    tombstones: bool = False
    #: Fields holding one-time secrets: needed by the consumer once, never kept anywhere else
    #: (the producer's outbox drops them once published, dead letters never carry them).
    secret_fields: tuple[str, ...] = ()
    extra_config: dict[str, str] = field(default_factory=dict)

    def key_for(self, event: Event) -> str:
        """The Kafka key of ``event``: its field named ``key``, or ``key`` itself for a
        single-key topic such as the catalog snapshot."""
        value = getattr(event, self.key, None)
        return self.key if value is None else str(value)

    def redacted(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` with its secret fields blanked out."""
        return {
            name: (REDACTED if name in self.secret_fields else value)
            for name, value in payload.items()
        }

    def config(self) -> dict[str, str]:
        """Topic-level configuration, as Kafka names it."""
        config: dict[str, str] = {"cleanup.policy": self.cleanup_policy}
        if self.cleanup_policy == "delete":
            config["retention.ms"] = str(self.retention_ms)
        config.update(self.extra_config)
        return config


MEMBER_CONTACT = TopicSpec(
    name="auth.member-contact.v1",
    description=(
        "Where to write to each member: the latest contact data, one record per member (compacted)."
    ),
    key="member_id",
    events=(MemberContactChanged,),
    producer="auth",
    # messages reads only its tombstones: a deleted account's attachments go.
    consumers=("notifier", "messages"),
    partitions=6,
    cleanup_policy="compact",
    tombstones=True,
    extra_config={"min.compaction.lag.ms": "0", "delete.retention.ms": str(DAY_MS)},
)

ACCOUNT_NOTIFICATION = TopicSpec(
    name="auth.account-notification.v1",
    description=(
        "Account emails to send: activation code, password reset link, lock warning, "
        "email-change code, FranceConnect link notice, sensitive changes told to the previous "
        "address, an agent's reset link, an agent's own password changed. Short retention: these carry one-time secrets."
    ),
    key="member_id",
    events=(
        ActivationCodeIssued,
        PasswordResetRequested,
        AccountLocked,
        EmailChangeCodeIssued,
        FranceConnectLinked,
        AccountChanged,
        AgentPasswordResetRequested,
        AgentAccountChanged,
    ),
    producer="auth",
    consumers=("notifier",),
    partitions=6,
    retention_ms=1 * DAY_MS,
    secret_fields=("code", "reset_token"),
)

CATALOG_SNAPSHOT = TopicSpec(
    name="catalog.snapshot.v1",
    description=(
        "The whole published catalog (themes, subjects, motifs, online services), one record "
        "per publication under a single key (compacted): a consumer starting from scratch "
        "holds the current catalog after reading one record."
    ),
    key="catalog",
    events=(CatalogPublished,),
    producer="catalog",
    consumers=("messages",),
    partitions=1,
    cleanup_policy="compact",
    extra_config={"min.compaction.lag.ms": "0", "max.message.bytes": str(4 * 1024 * 1024)},
)

MESSAGE_SUBMITTED = TopicSpec(
    name="messages.message-submitted.v1",
    description="A member sent a message: a new thread, or a follow-up in an existing one.",
    key="thread_id",
    events=(MessageSubmitted,),
    producer="messages",
    consumers=("notifier",),
    partitions=12,
)

REPLY_POSTED = TopicSpec(
    name="messages.reply-posted.v1",
    description="An agent answered a thread: the member has a reply waiting.",
    key="thread_id",
    events=(ReplyPosted,),
    producer="messages",
    consumers=("notifier",),
    partitions=12,
)

THREAD_ACTIVITY = TopicSpec(
    name="messages.thread-activity.v1",
    description=(
        "What happens to a thread after a reply: « Je n'ai pas compris la réponse », a "
        "« Demande de précisions » (asked, answered, reminder due, closed unanswered), the "
        "member's satisfaction, and an agent closing or reopening it. Keyed by thread, so one "
        "thread's activity stays in order."
    ),
    key="thread_id",
    events=(
        ReplyNotUnderstood,
        DetailsRequested,
        DetailsProvided,
        DetailsReminderDue,
        ThreadClosedUnanswered,
        SatisfactionGiven,
        ThreadClosed,
        ThreadReopened,
    ),
    producer="messages",
    consumers=("notifier", "messages"),
    partitions=12,
)

SESSION_REVOCATIONS = TopicSpec(
    name="auth.revocations.v1",
    description=(
        "Sessions ended before their time (logout, password changed or reset, account deleted, "
        "agent deactivated or changed): every service refuses their access tokens until they "
        "expire. Compacted, keyed by session id, tombstoned once the tokens have expired; a "
        "service reads it from the beginning at start and is ready once caught up."
    ),
    key="session_id",
    events=(SessionRevoked,),
    producer="auth",
    consumers=("auth", "catalog", "messages", "notifier"),
    # Read whole by every replica (no consumer group): the count only spreads the load.
    partitions=6,
    cleanup_policy="compact",
    tombstones=True,
    extra_config={
        "min.compaction.lag.ms": "0",
        "delete.retention.ms": str(DAY_MS),
        "segment.ms": str(3600 * 1000),
    },
)

SECURITY_TRAIL = TopicSpec(
    name="auth.security-events.v1",
    description=(
        "The security trail: every login (succeeded, failed, locked), reset, sensitive change, "
        "FranceConnect link, deletion and agent management, who did it and from which address "
        "(hashed). The auth service keeps it readable for supervisors and admins; auditors' "
        "tools may read the topic. Keyed by event id."
    ),
    key="event_id",
    events=(SecurityEventRecorded,),
    producer="auth",
    consumers=(),
    partitions=6,
    retention_ms=30 * DAY_MS,
)

ATTACHMENT_UPLOADED = TopicSpec(
    name="messages.attachment-uploaded.v1",
    description=(
        "A file was joined to a message or a reply: the antivirus scans it before anyone may "
        "download it. Never the file's name or content."
    ),
    key="attachment_id",
    events=(AttachmentUploaded,),
    producer="messages",
    consumers=("messages",),
    partitions=6,
)

ATTACHMENT_SCANNED = TopicSpec(
    name="messages.attachment-scanned.v1",
    description="The antivirus verdict on a file: clean, or infected and quarantined.",
    key="attachment_id",
    events=(AttachmentScanned,),
    producer="messages",
    consumers=(),
    partitions=6,
)

NOTIFIER_DEAD_LETTER = TopicSpec(
    name="notifier.dead-letter.v1",
    description=(
        "What the notifier could not do: an event it could not read, or an email that failed "
        "for good. Kept long enough to investigate and replay."
    ),
    key="source_event_id",
    events=(EventDeadLettered,),
    producer="notifier",
    consumers=(),
    partitions=3,
    retention_ms=30 * DAY_MS,
)

MESSAGES_DEAD_LETTER = TopicSpec(
    name="messages.dead-letter.v1",
    description="Events the messages service could not apply (a catalog snapshot it cannot read).",
    key="source_event_id",
    events=(EventDeadLettered,),
    producer="messages",
    consumers=(),
    partitions=1,
    retention_ms=30 * DAY_MS,
)

INSURED_PERSON = TopicSpec(
    name="registry.insured-person.v1",
    description=(
        "The people each fund covers, published by the funds' registry: one record per "
        "person, keyed by NIR (compacted); a tombstone when the fund no longer covers them. "
        "The auth service checks enrolments against it."
    ),
    key="nir",
    events=(InsuredPersonRegistered,),
    producer="registry",
    consumers=("auth",),
    partitions=6,
    cleanup_policy="compact",
    tombstones=True,
    extra_config={"min.compaction.lag.ms": "0", "delete.retention.ms": str(DAY_MS)},
)

POSTAL_LETTER = TopicSpec(
    name="auth.postal-letter.v1",
    description=(
        "Letters to post: an activation code sent to the address the registry holds. Short "
        "retention: these carry one-time secrets."
    ),
    key="member_id",
    events=(ActivationLetterRequested,),
    producer="auth",
    consumers=("notifier",),
    partitions=6,
    retention_ms=1 * DAY_MS,
    secret_fields=("code",),
)

AGENTS = TopicSpec(
    name="auth.agents.v1",
    description=(
        "The directory of agents: each agent's latest state (fund, names, role, skills, "
        "active), one record per agent (compacted), published when an agent is created, "
        "changed, deactivated or reactivated. The messages service gives threads only to the "
        "agents it lists."
    ),
    key="agent_id",
    events=(AgentChanged,),
    producer="auth",
    consumers=("messages",),
    partitions=3,
    cleanup_policy="compact",
    extra_config={"min.compaction.lag.ms": "0"},
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    MEMBER_CONTACT,
    ACCOUNT_NOTIFICATION,
    CATALOG_SNAPSHOT,
    MESSAGE_SUBMITTED,
    REPLY_POSTED,
    THREAD_ACTIVITY,
    NOTIFIER_DEAD_LETTER,
    MESSAGES_DEAD_LETTER,
    ATTACHMENT_UPLOADED,
    ATTACHMENT_SCANNED,
    INSURED_PERSON,
    POSTAL_LETTER,
    SESSION_REVOCATIONS,
    SECURITY_TRAIL,
    AGENTS,
)


def topic_for(event: type[Event]) -> TopicSpec:
    """The one topic an event is published on (dead letters excepted: they belong to each DLT)."""
    found = [t for t in ALL_TOPICS if event in t.events]
    if len(found) != 1:
        raise LookupError(f"{event.__name__} is published on {len(found)} topics, expected one")
    return found[0]
