"""Request and response bodies of the HTTP API, by family: the one description of each
answer, from which the OpenAPI document (and the web apps' types) are generated.

Handlers return domain objects (``messages.domain.views``); each response model maps what
it is built from once, in ``domain_fields``, and FastAPI applies it to what a route returns."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from messages.domain.model import Access, CannedReply, Message, Note, Status, Thread
from messages.domain.text import has_control_characters
from messages.domain.views import (
    AgentThreadView,
    MemberThreadView,
    PostedReply,
    Preparation,
    Submission,
    ThreadChange,
)


def _no_control_characters(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("Ce champ contient des caractères non autorisés : retirez-les.")
    return value


#: A short text field: no control characters (they cannot be stored nor typed).
PlainText = Annotated[str, AfterValidator(_no_control_characters)]

StatusLabel = Literal["envoyé", "en cours de traitement", "répondu", "clos"]


class RequestBody(BaseModel):
    """A request body: unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class Public(BaseModel):
    """A response body. Built from a domain object by ``domain_fields`` (by default its
    attributes of the same names); a mapping (a stored, replayed answer) is read as is."""

    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="before")
    @classmethod
    def _from_domain(cls, value: Any) -> Any:
        if isinstance(value, Mapping | BaseModel):
            return value
        return cls.domain_fields(value)

    @classmethod
    def domain_fields(cls, value: Any) -> Any:
        return value


class NodePublic(Public):
    code: str = Field(examples=["famille"])
    label: str = Field(examples=["Famille, Allocations familiales, aides au logement"])


# Member side --------------------------------------------------------------------------


class MessageDraft(RequestBody):
    """What the member chose and wrote (steps 1 to 5)."""

    theme: PlainText = Field(min_length=1, max_length=100, examples=["famille"])
    subject: PlainText = Field(min_length=1, max_length=100, examples=["famille-allocations"])
    motif: PlainText = Field(min_length=1, max_length=100, examples=["af-changement-situation"])
    text: str = Field(
        max_length=20000,
        description="10 to 750 characters after trimming, counted as a person counts them.",
        examples=["Bonjour, je viens de déménager et je souhaite déclarer ma nouvelle adresse."],
    )


class ThreadCreate(MessageDraft):
    """Step 6 "Envoyer". Send the request with an ``Idempotency-Key`` header."""


class FollowUpCreate(RequestBody):
    text: str = Field(max_length=20000, description="Same rules as the first message.")


class Recap(Public):
    theme: NodePublic
    subject: NodePublic
    motif: NodePublic
    text: str = Field(description="The text as it will be stored (normalised, trimmed).")


class OnlineServicePublic(Public):
    title: str = Field(examples=["Déclarer un changement de situation"])
    description: str
    url: str = Field(description="Address of the service, on the member's fund site if it has one.")
    call_to_action: str = Field(examples=["J'utilise le service en ligne"])


class AdvisoryPublic(Public):
    code: Literal["medical-data"]
    message: str


class MessagePrepared(Public):
    """The recap of step 6; nothing is stored."""

    recap: Recap
    online_service: OnlineServicePublic | None
    advisories: list[AdvisoryPublic] = Field(
        description="Warnings to show before sending; they never prevent sending."
    )
    characters: int = Field(description="Characters of the text, as the page's counter counts.")
    characters_left: int = Field(description="750 minus ``characters``.")

    @classmethod
    def domain_fields(cls, value: Preparation) -> dict[str, Any]:
        choice = value.choice
        return {
            "recap": {
                "theme": choice.theme,
                "subject": choice.subject,
                "motif": choice.motif,
                "text": value.text,
            },
            "online_service": choice.online_service,
            "advisories": value.advisories,
            "characters": value.characters,
            "characters_left": value.characters_left,
        }


class ThreadBase(Public):
    """What every answer about a thread starts with (read from a ``Thread``'s attributes)."""

    id: uuid.UUID
    reference: str = Field(examples=["NPC-2026-000123"])
    theme: NodePublic
    subject: NodePublic
    motif: NodePublic
    status: Status
    status_label: StatusLabel
    created_at: datetime
    last_activity_at: datetime
    due_date: date


class ThreadCreated(ThreadBase):
    """The answer to a send or a follow-up (replayed as is for a repeated Idempotency-Key)."""

    thread_id: uuid.UUID
    message_id: uuid.UUID
    submitted_at: datetime
    follow_up: bool

    @classmethod
    def domain_fields(cls, value: Submission) -> dict[str, Any]:
        return dict(ThreadBase.model_validate(value.thread)) | {
            "thread_id": value.thread.id,
            "message_id": value.message.id,
            "submitted_at": value.message.created_at,
            "follow_up": value.message.follow_up,
        }


class ThreadPublic(ThreadBase):
    """One of the member's threads, in their list."""

    unread_replies: int = Field(description="Replies the member has not read yet.")


class ThreadsPublic(Public):
    data: list[ThreadPublic]
    next_cursor: str | None = Field(description="Pass it as ``cursor`` for the next page.")


class MessagePublic(Public):
    id: uuid.UUID
    kind: Literal["message", "reply"] = Field(
        description="message: written by the member; reply: the fund's answer."
    )
    text: str
    created_at: datetime
    follow_up: bool
    read_at: datetime | None = Field(description="Replies: when the member first read it.")

    @classmethod
    def domain_fields(cls, value: Message) -> dict[str, Any]:
        return {
            "id": value.id,
            "kind": "message" if value.author_kind == "member" else "reply",
            "text": value.body,
            "created_at": value.created_at,
            "follow_up": value.follow_up,
            "read_at": value.read_at,
        }


class ThreadDetail(ThreadPublic):
    last_consulted_by_fund_at: datetime | None = Field(
        description="Last time an agent of the fund opened the thread."
    )
    messages: list[MessagePublic]

    @classmethod
    def domain_fields(cls, value: MemberThreadView) -> dict[str, Any]:
        return dict(ThreadPublic.model_validate(value.thread)) | {
            "last_consulted_by_fund_at": value.thread.last_consulted_by_fund_at,
            "messages": value.messages,
        }


# Agent side ----------------------------------------------------------------------------


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
            "messages": value.messages,
            "notes": value.notes,
        }


class AssignmentCreate(RequestBody):
    agent_id: uuid.UUID
    agent_name: PlainText = Field(min_length=1, max_length=200, examples=["Sophie BERNARD"])
    agent_skills: list[Annotated[PlainText, Field(max_length=100)]] | None = Field(
        default=None,
        max_length=100,
        description=(
            "The agent's skills, as the auth service lists them (``GET /api/auth/agents``): "
            "the answer warns when they do not include the thread's. Without them the answer "
            "warns that they could not be checked. Never a reason to refuse."
        ),
        examples=[["famille", "sante"]],
    )


class ReplyCreate(RequestBody):
    """Either ``text``, or ``canned_reply_id`` (rendered with this thread's values)."""

    text: str | None = Field(default=None, max_length=50000)
    canned_reply_id: uuid.UUID | None = None

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
