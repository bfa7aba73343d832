"""Events of the messages service. They never carry the text of a message or reply."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.events.common import CatalogNode
from contracts.funds import FundCode

_REFERENCE = Field(
    pattern=r"^[A-Z]{3}-\d{4}-\d{6,}$",
    description="Human reference of the thread, unique per fund and year.",
    examples=["NPC-2026-000123"],
)


class MessageSubmitted(Event):
    """A member sent a message: the first of a new thread, or a follow-up in an open one."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    message_id: uuid.UUID = Field(description="The message just sent.")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member who wrote.")
    fund: FundCode
    theme: CatalogNode = Field(description="Theme (prestation) chosen by the member.")
    subject: CatalogNode = Field(description="Subject chosen by the member.")
    motif: CatalogNode = Field(description="Motif chosen by the member.")
    submitted_at: AwareDatetime = Field(description="When the member sent it (UTC).")
    due_date: date = Field(
        description="Date by which the fund aims to answer (working days, Europe/Paris).",
        examples=["2026-12-10"],
    )
    follow_up: bool = Field(
        description="True for a follow-up in an existing thread, false for a new thread.",
        examples=[False],
    )


class ReplyPosted(Event):
    """An agent answered a thread: a reply waits in the member's private space."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reply_id: uuid.UUID = Field(description="The reply just posted.")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    theme: CatalogNode
    subject: CatalogNode
    motif: CatalogNode
    posted_at: AwareDatetime = Field(description="When the reply was posted (UTC).")
