"""What the service's queries and commands answer: domain objects, grouped as callers read them.

The HTTP response models (``entrypoints/http/schemas``) map these, once each."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from messages.domain.catalog import ResolvedChoice
from messages.domain.follow_ups import Satisfaction
from messages.domain.medical import Advisory
from messages.domain.model import Access, CannedReply, Message, Note, Thread
from messages.domain.routing import RoutingWarning


@dataclass(frozen=True)
class Preparation:
    """Step 5 « Valider »: the choice as the catalog has it, the checked text, the advice."""

    choice: ResolvedChoice
    text: str
    advisories: list[Advisory]
    characters: int
    characters_left: int


@dataclass(frozen=True)
class Submission:
    """A message the member sent (a new thread, or a follow-up in theirs)."""

    thread: Thread
    message: Message


@dataclass(frozen=True)
class PostedReply:
    thread: Thread
    reply: Message


@dataclass(frozen=True)
class Sent:
    """The answer to a request sent with an Idempotency-Key: the first request's body (as the
    response model wrote it, stored with the change), replayed as is for its repeats."""

    status_code: int
    body: Mapping[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class ThreadsPage:
    """One page of the member's threads."""

    data: list[Thread]
    next_cursor: str | None


@dataclass(frozen=True)
class MemberThreadView:
    thread: Thread
    messages: list[Message]
    #: The member's answers to « Cette réponse vous a-t-elle aidé ? », by reply.
    satisfactions: Mapping[uuid.UUID, Satisfaction] = field(default_factory=dict)


@dataclass(frozen=True)
class QueuePage:
    """One page of the agents' queue; ``hint`` says why ``skill=mine`` may be empty."""

    data: list[Thread]
    next_cursor: str | None
    hint: str | None


@dataclass(frozen=True)
class AgentThreadView:
    thread: Thread
    messages: list[Message]
    notes: list[Note]
    satisfactions: Mapping[uuid.UUID, Satisfaction] = field(default_factory=dict)


@dataclass(frozen=True)
class ThreadChange:
    """A claimed or assigned thread, and what the person who acted should know."""

    thread: Thread
    warnings: list[RoutingWarning]


@dataclass(frozen=True)
class RenderedCannedReply:
    canned_reply_id: uuid.UUID
    title: str
    text: str


@dataclass(frozen=True)
class CannedReplies:
    data: list[CannedReply]


@dataclass(frozen=True)
class AccessPage:
    data: list[Access]
    next_cursor: str | None


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    threads: int
    messages: int
    notes: int
    audit: int
    dry_run: bool


@dataclass(frozen=True)
class Receipt:
    """What a proof of deposit prints: one member's message, its thread, its fingerprint."""

    thread: Thread
    message: Message
    digest: str
    fund_name: str


@dataclass(frozen=True)
class ReceiptDocument:
    """The proof of deposit as a file."""

    filename: str
    content: bytes


@dataclass(frozen=True)
class ReceiptCheck:
    """Whether a fingerprint is one the fund stored for that reference; nothing else."""

    matches: bool
