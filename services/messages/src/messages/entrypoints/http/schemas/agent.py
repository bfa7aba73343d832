"""The agents' side: the queue, a thread as the fund reads it, replies, notes, canned
replies, the access audit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from messages.domain.model import Access, CannedReply, Message, Note, Thread
from messages.domain.views import (
    AgentThreadView,
    PostedReply,
    ThreadChange,
)
from messages.entrypoints.http.schemas.attachments import AttachmentIds
from messages.entrypoints.http.schemas.common import (
    Public,
    RequestBody,
)
from messages.entrypoints.http.schemas.member import MessagePublic, ThreadBase


class PersonPublic(Public):
    id: uuid.UUID
    name: str | None


class MemberPublic(Public):
    id: uuid.UUID
    given_name: str
    family_name: str


class AgentThreadPublic(ThreadBase):
    fund: str
    member: MemberPublic
    skill: str | None = Field(
        description=(
            "Routing: the skill of the motif when the thread was sent (a follow-up keeps it); "
            "null when it could not be known (threads older than routing)."
        ),
        examples=["famille"],
    )
    assignee: PersonPublic | None
    assigned_at: datetime | None
    closed_at: datetime | None
    last_consulted_by_fund_at: datetime | None
    relance: bool = Field(
        description="« Relance »: the member did not understand a reply; first in the queue."
    )
    awaiting_member_since: datetime | None = Field(
        description="« En attente du membre »: since when a reply asks them for details."
    )

    @classmethod
    def domain_fields(cls, value: Any) -> dict[str, Any]:
        """A ``Thread`` (the family's other models are built from what holds one)."""
        return cls.thread_fields(value)

    @staticmethod
    def thread_fields(thread: Thread) -> dict[str, Any]:
        """The fields of an agent's view of ``thread``, for this family's models."""
        return dict(ThreadBase.model_validate(thread)) | {
            "fund": thread.fund,
            "member": {
                "id": thread.member_id,
                "given_name": thread.member_given_name,
                "family_name": thread.member_family_name,
            },
            "skill": thread.skill,
            "assignee": (
                {"id": thread.assignee_id, "name": thread.assignee_name}
                if thread.assignee_id is not None
                else None
            ),
            "assigned_at": thread.assigned_at,
            "closed_at": thread.closed_at,
            "last_consulted_by_fund_at": thread.last_consulted_by_fund_at,
            "relance": thread.relance,
            "awaiting_member_since": thread.awaiting_member_since,
        }


class AgentThreadsPublic(Public):
    data: list[AgentThreadPublic]
    next_cursor: str | None
    hint: str | None = Field(
        description="Why the list may be empty: with ``skill=mine``, the caller has no skill."
    )


class WarningPublic(Public):
    code: Literal["outside-skills", "assignee-outside-skills", "assignee-skills-unknown"]
    message: str = Field(description="In French, for the person who acted.")


class AgentThreadChanged(AgentThreadPublic):
    """A claimed or assigned thread: done in every case, with what the caller should know."""

    warnings: list[WarningPublic] = Field(
        description=(
            "Routing: the thread's skill is not among the claiming agent's or the assignee's "
            "(or the assignee's skills were not sent). Nothing is refused for it."
        )
    )

    @classmethod
    def domain_fields(cls, value: ThreadChange) -> dict[str, Any]:
        return cls.thread_fields(value.thread) | {"warnings": value.warnings}


class QueueCounts(Public):
    """Threads of the fund matching theme/subject/motif/skill, by status, and among open ones."""

    submitted: int
    in_progress: int
    answered: int
    awaiting_member: int = Field(description="« En attente du membre ».")
    closed: int
    open: int = Field(description="submitted + in_progress")
    all: int
    mine: int = Field(description="Open threads assigned to the caller.")
    unassigned: int = Field(description="Open threads nobody has.")
    overdue: int = Field(description="Open threads whose due date has passed.")
    my_skills: int = Field(
        description=(
            "Open threads routed to the caller (``skill=mine``): of one of their skills, or "
            "assigned to them. Not narrowed by ``skill``."
        )
    )
    without_skill: int = Field(
        description="Open threads whose skill is not known (``skill=none``). Not narrowed by ``skill``."
    )
    relances: int = Field(description="Open « relances » (« Je n'ai pas compris la réponse »).")


class AgentMessagePublic(MessagePublic):
    author: PersonPublic
    canned_reply_id: uuid.UUID | None

    @classmethod
    def domain_fields(cls, value: Message) -> dict[str, Any]:
        return MessagePublic.domain_fields(value) | {
            "author": {"id": value.author_id, "name": value.author_name},
            "canned_reply_id": value.canned_reply_id,
        }


class NotePublic(Public):
    id: uuid.UUID
    text: str
    author: PersonPublic
    created_at: datetime

    @classmethod
    def domain_fields(cls, value: Note) -> dict[str, Any]:
        return {
            "id": value.id,
            "text": value.body,
            "author": {"id": value.author_id, "name": value.author_name},
            "created_at": value.created_at,
        }


class AgentThreadDetail(AgentThreadPublic):
    messages: list[AgentMessagePublic]
    notes: list[NotePublic]

    @classmethod
    def domain_fields(cls, value: AgentThreadView) -> dict[str, Any]:
        return cls.thread_fields(value.thread) | {
            "messages": [
                AgentMessagePublic.with_satisfaction(message, value.satisfactions)
                for message in value.messages
            ],
            "notes": value.notes,
        }


class AssignmentCreate(RequestBody):
    """The agent to give the thread to. Their name and skills are the directory of agents'
    (kept from the auth service's ``auth.agents.v1``): anything else sent is ignored."""

    agent_id: uuid.UUID = Field(description="An agent of the fund (``GET /api/auth/agents``).")


class ReplyCreate(RequestBody):
    """Either ``text``, or ``canned_reply_id`` (rendered with this thread's values)."""

    text: str | None = Field(default=None, max_length=50000)
    canned_reply_id: uuid.UUID | None = None
    attachment_ids: AttachmentIds
    asks_for_details: bool = Field(
        default=False,
        description=(
            "« Demande de précisions »: the reply asks the member for information or a "
            "document; the thread waits for them and its due date is suspended."
        ),
    )

    @model_validator(mode="after")
    def _one_source(self) -> ReplyCreate:
        if (self.text is None) == (self.canned_reply_id is None):
            raise ValueError(
                "Indiquez soit le texte de la réponse, soit une réponse type, mais pas les deux."
            )
        return self


class ReplyCreated(AgentThreadPublic):
    thread_id: uuid.UUID
    reply: AgentMessagePublic

    @classmethod
    def domain_fields(cls, value: PostedReply) -> dict[str, Any]:
        return cls.thread_fields(value.thread) | {
            "thread_id": value.thread.id,
            "reply": value.reply,
        }


class NoteCreate(RequestBody):
    text: str = Field(max_length=50000)


class CannedReplyCreate(RequestBody):
    title: str = Field(max_length=1000, examples=["Accusé de réception"])
    body: str = Field(
        max_length=50000,
        description=(
            "Text of the reply. Placeholders: {prenom}, {nom} (the member's names), "
            "{reference} (the thread's), {caisse} (the fund's name), {conseiller} (the agent "
            "who replies)."
        ),
        examples=["Bonjour {prenom},\nNous avons bien reçu votre demande {reference}."],
    )


class CannedReplyUpdate(CannedReplyCreate):
    pass


class CannedReplyPublic(Public):
    id: uuid.UUID
    title: str
    body: str
    updated_at: datetime
    updated_by: str | None = Field(description="Name of who last changed it.")

    @classmethod
    def domain_fields(cls, value: CannedReply) -> dict[str, Any]:
        return {
            "id": value.id,
            "title": value.title,
            "body": value.body,
            "updated_at": value.updated_at,
            "updated_by": value.updated_by_name,
        }


class CannedRepliesPublic(Public):
    data: list[CannedReplyPublic]


class CannedReplyRendered(Public):
    canned_reply_id: uuid.UUID
    title: str
    text: str


class AccessPublic(Public):
    thread_id: uuid.UUID
    reference: str
    agent: PersonPublic
    accessed_at: datetime

    @classmethod
    def domain_fields(cls, value: Access) -> dict[str, Any]:
        return {
            "thread_id": value.thread_id,
            "reference": value.reference,
            "agent": {"id": value.agent_id, "name": value.agent_name},
            "accessed_at": value.accessed_at,
        }


class AccessesPublic(Public):
    data: list[AccessPublic]
    next_cursor: str | None
