"""What a consumer could not do, for a person to look at and replay."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from contracts.envelope import Event


class EventDeadLettered(Event):
    """A consumer gave up on an event (or on the effect an event asked for)."""

    source_topic: str = Field(examples=["messages.reply-posted.v1"])
    source_event_id: uuid.UUID | None = Field(
        description="Id of the event given up on, when it could be read."
    )
    source_event_type: str | None = Field(default=None, examples=["ReplyPosted"])
    consumer: str = Field(description="Who gave up.", examples=["notifier.reply-posted"])
    reason: str = Field(
        description="Why, for a person.", examples=["550 5.1.1 Mailbox unavailable"]
    )
    attempts: int = Field(ge=1)
    source: dict[str, Any] | None = Field(
        default=None,
        description="The event given up on, as received, so that it can be replayed.",
    )
