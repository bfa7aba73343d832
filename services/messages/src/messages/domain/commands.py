"""What callers ask the service to do: small immutable commands."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from messages.domain.model import Status


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
class PrepareMessage:
    member: Member
    theme: str
    subject: str
    motif: str
    text: str


@dataclass(frozen=True)
class SubmitMessage:
    member: Member
    theme: str
    subject: str
    motif: str
    text: str
    idempotency: Idempotency


@dataclass(frozen=True)
class SubmitFollowUp:
    member: Member
    thread_id: uuid.UUID
    text: str
    idempotency: Idempotency


@dataclass(frozen=True)
class ListMemberThreads:
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


@dataclass(frozen=True)
class ClaimThread:
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class AssignThread:
    supervisor: Agent
    thread_id: uuid.UUID
    assignee_id: uuid.UUID
    assignee_name: str
    assignee_skills: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PostReply:
    agent: Agent
    thread_id: uuid.UUID
    text: str | None
    canned_reply_id: uuid.UUID | None
    idempotency: Idempotency


@dataclass(frozen=True)
class AddNote:
    agent: Agent
    thread_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class CloseThread:
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class ReopenThread:
    agent: Agent
    thread_id: uuid.UUID


@dataclass(frozen=True)
class SaveCannedReply:
    supervisor: Agent
    title: str
    body: str
    canned_reply_id: uuid.UUID | None = None
