"""The member's side: drafts, sends, their threads and messages."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from messages.domain.follow_ups import Satisfaction
from messages.domain.model import Message, Status
from messages.domain.views import (
    MemberThreadView,
    Preparation,
    Submission,
)
from messages.entrypoints.http.schemas.attachments import AttachmentIds
from messages.entrypoints.http.schemas.common import (
    NodePublic,
    PlainText,
    Public,
    RequestBody,
    StatusLabel,
)


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

    attachment_ids: AttachmentIds


class FollowUpCreate(RequestBody):
    text: str = Field(max_length=20000, description="Same rules as the first message.")
    attachment_ids: AttachmentIds


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


class SatisfactionPublic(Public):
    """« Cette réponse vous a-t-elle aidé ? »: the member's answer to one reply."""

    reply_id: uuid.UUID
    helpful: bool = Field(description="« Oui » (true) or « Non » (false).")
    comment: str | None = Field(description="The member's optional comment (300 characters).")
    answered_at: datetime
    changeable_until: datetime = Field(description="7 days after the first answer.")


class SatisfactionGive(RequestBody):
    helpful: bool = Field(description="« Oui » (true) or « Non » (false).")
    comment: str | None = Field(
        default=None, max_length=2000, description="Optional, at most 300 characters."
    )


class NotUnderstoodCreate(RequestBody):
    """« Je n'ai pas compris la réponse »: optionally, what was not understood."""

    text: str | None = Field(
        default=None,
        max_length=20000,
        description="Optional; when given, 10 to 750 characters, as a message.",
    )


class MessagePublic(Public):
    id: uuid.UUID
    kind: Literal["message", "reply"] = Field(
        description="message: written by the member; reply: the fund's answer."
    )
    text: str
    created_at: datetime
    follow_up: bool
    read_at: datetime | None = Field(description="Replies: when the member first read it.")
    asks_for_details: bool = Field(
        description="Replies: « Demande de précisions » (information or a document needed)."
    )
    not_understood_at: datetime | None = Field(
        description="Replies: when the member said « Je n'ai pas compris la réponse »."
    )
    satisfaction: SatisfactionPublic | None = Field(
        default=None,
        description="Replies: the member's answer to « Cette réponse vous a-t-elle aidé ? ».",
    )

    @classmethod
    def domain_fields(cls, value: Message) -> dict[str, Any]:
        return {
            "id": value.id,
            "kind": "message" if value.author_kind == "member" else "reply",
            "text": value.body,
            "created_at": value.created_at,
            "follow_up": value.follow_up,
            "read_at": value.read_at,
            "asks_for_details": value.asks_for_details,
            "not_understood_at": value.not_understood_at,
        }

    @classmethod
    def with_satisfaction(
        cls, message: Message, satisfactions: Mapping[uuid.UUID, Satisfaction]
    ) -> dict[str, Any]:
        return cls.domain_fields(message) | {"satisfaction": satisfactions.get(message.id)}


class ThreadDetail(ThreadPublic):
    last_consulted_by_fund_at: datetime | None = Field(
        description="Last time an agent of the fund opened the thread."
    )
    messages: list[MessagePublic]

    @classmethod
    def domain_fields(cls, value: MemberThreadView) -> dict[str, Any]:
        return dict(ThreadPublic.model_validate(value.thread)) | {
            "last_consulted_by_fund_at": value.thread.last_consulted_by_fund_at,
            "messages": [
                MessagePublic.with_satisfaction(message, value.satisfactions)
                for message in value.messages
            ],
        }
