"""What callers ask the service: small immutable commands and queries, each a
``Command[R]`` whose ``R`` is what handling it returns (``messages.domain.views``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from messages.domain.follow_ups import Satisfaction
from messages.domain.model import CannedReply, Note, Status, Thread
from messages.domain.views import (
    AccessPage,
    AgentThreadView,
    CannedReplies,
    MemberThreadView,
    Preparation,
    PurgeReport,
    QueuePage,
    ReceiptCheck,
    ReceiptDocument,
    RenderedCannedReply,
    Sent,
    ThreadChange,
    ThreadsPage,
)
from servicekit.bus import Command

#: The queue's ``status`` filter: ``open`` = submitted + in_progress, ``all`` = every status.
QueueStatus = Literal[
    "open", "submitted", "in_progress", "answered", "awaiting_member", "closed", "all"
]
#: The queue's ``assigned`` filter.
Assigned = Literal["me", "unassigned", "any"]


@dataclass(frozen=True)
class Member:
    """The member calling, as the access token says."""

    id: uuid.UUID
    fund: str
    given_name: str
    family_name: str


@dataclass(frozen=True)
class Agent:
    id: uuid.UUID
    fund: str
    name: str
    supervisor: bool
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Idempotency:
    """The ``Idempotency-Key`` of a request and the fingerprint of what it asks."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class PrepareMessage(Command[Preparation]):
    member: Member
    theme: str
    subject: str
    motif: str
    text: str


@dataclass(frozen=True)
class SubmitMessage(Command[Sent]):
    member: Member
    theme: str
    subject: str
    motif: str
    text: str
    idempotency: Idempotency
    #: Uploads sent with it (``POST /attachments``), in the order given.
    attachment_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class SubmitFollowUp(Command[Sent]):
    member: Member
    thread_id: uuid.UUID
    text: str
    idempotency: Idempotency
    #: Uploads sent with it (``POST /attachments``), in the order given.
    attachment_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class ListMemberThreads(Command[ThreadsPage]):
    member: Member
    status: Status | None
    query: str | None
    cursor: str | None
    limit: int


@dataclass(frozen=True)
class QueueFilter:
    """The agents' queue: which threads of the agent's fund.

    Skills: ``skills`` None means any skill; a tuple keeps the threads of these skills, plus,
    with ``or_assigned_to``, the threads assigned to that agent whatever their skill (what
    ``skill=mine`` asks). ``without_skill`` keeps the threads whose skill is not known.
    ``reference``: only the thread of that whole reference (see ``domain/references.py``),
    within the other filters."""

    fund: str
    statuses: tuple[Status, ...]
    theme: str | None = None
    subject: str | None = None
    motif: str | None = None
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    overdue_on: date | None = None
    skills: tuple[str, ...] | None = None
    or_assigned_to: uuid.UUID | None = None
    without_skill: bool = False
    reference: str | None = None
    #: « Relances »: True only them, False all but them, None either.
    relance: bool | None = None


@dataclass(frozen=True)
class ClaimThread(Command[ThreadChange]):
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class AssignThread(Command[ThreadChange]):
    """Give the thread to the agent the directory of agents lists under ``assignee_id``
    (their name and skills come from there, never from the request)."""

    supervisor: Agent
    thread_id: uuid.UUID
    assignee_id: uuid.UUID


@dataclass(frozen=True)
class PostReply(Command[Sent]):
    agent: Agent
    thread_id: uuid.UUID
    text: str | None
    canned_reply_id: uuid.UUID | None
    idempotency: Idempotency
    #: The agent's uploads sent with the reply (``POST /agent/attachments``), in order.
    attachment_ids: tuple[uuid.UUID, ...] = ()
    #: « Demande de précisions »: the reply asks the member for information or a document.
    asks_for_details: bool = False


@dataclass(frozen=True)
class AddNote(Command[Note]):
    agent: Agent
    thread_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class CloseThread(Command[Thread]):
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class ReopenThread(Command[Thread]):
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class SaveCannedReply(Command[CannedReply]):
    supervisor: Agent
    title: str
    body: str
    canned_reply_id: uuid.UUID | None = None


@dataclass(frozen=True)
class OpenMemberThread(Command[MemberThreadView]):
    """The member reads one of their threads: its replies become read."""

    member: Member
    thread_id: uuid.UUID


@dataclass(frozen=True)
class ListQueue(Command[QueuePage]):
    """The agents' queue, as the request filters it (``None`` status: open, or every status
    when searching a ``reference``)."""

    agent: Agent
    status: QueueStatus | None = None
    theme: str | None = None
    subject: str | None = None
    motif: str | None = None
    skill: str | None = None
    assigned: Assigned = "any"
    overdue: bool = False
    reference: str | None = None
    cursor: str | None = None
    limit: int = 20
    #: Only the « relances » (« Je n'ai pas compris la réponse »).
    relance: bool = False


@dataclass(frozen=True)
class CountQueue(Command[dict[str, int]]):
    """How many threads of the agent's fund, by status and among open ones."""

    agent: Agent
    theme: str | None = None
    subject: str | None = None
    motif: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class OpenAgentThread(Command[AgentThreadView]):
    """An agent reads a thread of their fund: the opening is recorded in the access audit."""

    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class RenderCannedReply(Command[RenderedCannedReply]):
    """A canned reply filled in with a thread's values, for the agent to review."""

    agent: Agent
    thread_id: uuid.UUID
    canned_reply_id: uuid.UUID


@dataclass(frozen=True)
class ListAccesses(Command[AccessPage]):
    """The access audit of the supervisor's fund, of one thread or one agent if given."""

    supervisor: Agent
    thread_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class ListCannedReplies(Command[CannedReplies]):
    agent: Agent


@dataclass(frozen=True)
class DeleteCannedReply(Command[None]):
    supervisor: Agent
    canned_reply_id: uuid.UUID


@dataclass(frozen=True)
class PurgeClosedThreads(Command[PurgeReport]):
    """Remove the threads closed more than ``older_than_years`` years ago, in batches."""

    older_than_years: int
    dry_run: bool = False
    batch_size: int = 1000


@dataclass(frozen=True)
class ForgetIdempotencyKeys(Command[int]):
    """Forget the Idempotency-Keys older than ``retention``; returns how many."""

    retention: timedelta


@dataclass(frozen=True)
class DownloadReceipt(Command[ReceiptDocument]):
    """The member's proof of deposit of one of their messages (not of a reply)."""

    member: Member
    thread_id: uuid.UUID
    message_id: uuid.UUID


@dataclass(frozen=True)
class VerifyReceipt(Command[ReceiptCheck]):
    """Anyone checks a proof of deposit: a reference and the fingerprint it prints, or the
    PDF itself (its fingerprint is read from it)."""

    reference: str
    sha256: str | None = None
    pdf: bytes | None = None
    #: Who asks, for the rate limit per address (``servicekit.throttling.client_address``).
    client_address: str = "unknown"


@dataclass(frozen=True)
class MarkReplyNotUnderstood(Command[Thread]):
    """« Je n'ai pas compris la réponse », with an optional short explanation."""

    member: Member
    thread_id: uuid.UUID
    reply_id: uuid.UUID
    text: str | None = None


@dataclass(frozen=True)
class GiveSatisfaction(Command[Satisfaction]):
    """« Cette réponse vous a-t-elle aidé ? »: Oui / Non and an optional comment."""

    member: Member
    thread_id: uuid.UUID
    reply_id: uuid.UUID
    helpful: bool
    comment: str | None = None


@dataclass(frozen=True)
class RunFollowUpTimers(Command[int]):
    """Remind the members asked for details 10 days ago, close the threads asked 30 days ago;
    answers how many threads were handled (at most ``batch_size``)."""

    batch_size: int = 100
