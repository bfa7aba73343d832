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
    attachment_count: int = Field(
        default=0, ge=0, description="How many files were sent with it.", examples=[2]
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The files sent with it (never their names)."
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
    attachment_count: int = Field(
        default=0, ge=0, description="How many files were sent with it.", examples=[1]
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list, description="The files sent with it (never their names)."
    )


# --- Follow-ups of a reply (not understood, details requested, satisfaction), closing and
# reopening ----------------------------------------------------------------------------------
# Published on ``messages.thread-activity.v1`` keyed by thread id, so one thread's activity
# stays in order. None of them carries the member's text or comment.


class ReplyNotUnderstood(Event):
    """The member pressed « Je n'ai pas compris la réponse » under a reply: the thread is open
    again, on top of the fund's queue, with the agent who answered first."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    theme: CatalogNode
    subject: CatalogNode
    motif: CatalogNode
    reply_id: uuid.UUID = Field(description="The reply the member did not understand.")
    follow_up_message_id: uuid.UUID | None = Field(
        default=None, description="The member's short explanation, when they wrote one."
    )
    assigned_agent_id: uuid.UUID | None = Field(
        default=None, description="The agent who answered, to whom the thread goes back."
    )
    due_date: date = Field(
        description="New due date: two working days (Europe/Paris).", examples=["2026-12-07"]
    )


class DetailsRequested(Event):
    """An agent's reply asks the member for information or a document (« Demande de
    précisions »): the fund's due date is suspended until the member answers."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    theme: CatalogNode
    subject: CatalogNode
    motif: CatalogNode
    reply_id: uuid.UUID = Field(description="The reply asking for details.")
    requested_at: AwareDatetime = Field(description="When the reply was posted (UTC).")
    reminder_on: date = Field(
        description="Day the member is reminded if they have not answered (Europe/Paris).",
        examples=["2026-12-13"],
    )
    closes_on: date = Field(
        description="Day the thread closes if the member has not answered (Europe/Paris).",
        examples=["2027-01-02"],
    )


class DetailsProvided(Event):
    """The member answered a « Demande de précisions »: the fund's due date runs again."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    message_id: uuid.UUID = Field(description="The member's answer.")
    provided_at: AwareDatetime = Field(description="When the member answered (UTC).")
    due_date: date = Field(
        description="The restarted due date: the working days that were left (Europe/Paris).",
        examples=["2026-12-15"],
    )


class DetailsReminderDue(Event):
    """Ten days after a « Demande de précisions », the member has not answered yet."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member to remind.")
    fund: FundCode
    requested_at: AwareDatetime = Field(description="When the details were asked for (UTC).")
    closes_on: date = Field(
        description="Day the thread closes without an answer (Europe/Paris).",
        examples=["2027-01-02"],
    )


class ThreadClosedUnanswered(Event):
    """Thirty days after a « Demande de précisions » without an answer, the thread closed."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    closed_at: AwareDatetime = Field(description="When the thread closed (UTC).")


class ThreadClosed(Event):
    """An agent closed the thread, answered or not (a thread closed by the 30-day rule of a
    « Demande de précisions » publishes ``ThreadClosedUnanswered`` instead)."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    agent_id: uuid.UUID = Field(description="The agent who closed it.")
    closed_at: AwareDatetime = Field(description="When the thread closed (UTC).")


class ThreadReopened(Event):
    """An agent reopened a closed thread: it waits for the fund again, with its due date."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    member_id: uuid.UUID = Field(description="The member the thread belongs to.")
    fund: FundCode
    agent_id: uuid.UUID = Field(description="The agent who reopened it.")
    reopened_at: AwareDatetime = Field(description="When the thread was reopened (UTC).")
    due_date: date = Field(
        description="The date by which the fund aims to answer (Europe/Paris).",
        examples=["2026-12-10"],
    )


class SatisfactionGiven(Event):
    """The member answered « Cette réponse vous a-t-elle aidé ? » (or changed their answer).
    The comment's text never leaves the messages service."""

    thread_id: uuid.UUID = Field(description="The thread (also the Kafka key).")
    reference: str = _REFERENCE
    fund: FundCode
    theme: CatalogNode
    subject: CatalogNode
    motif: CatalogNode
    reply_id: uuid.UUID = Field(description="The reply rated.")
    helpful: bool = Field(description="« Oui » (true) or « Non » (false).")
    has_comment: bool = Field(description="Whether the member left a comment.")
    answered_at: AwareDatetime = Field(description="When the member answered (UTC).")
    changed: bool = Field(description="True when it replaces an earlier answer to this reply.")
