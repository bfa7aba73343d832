"""The envelope every event carries, whatever its topic.

An event is one JSON object: the envelope fields below, then the fields of the event itself.
Consumers ignore fields they do not know, so adding a field never breaks an older consumer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Event(BaseModel):
    """Base of every event: identity, type, time and producer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    #: The value of ``event_type`` for this class; set by each concrete event.
    type_name: ClassVar[str] = ""

    event_id: uuid.UUID = Field(
        description="Unique id of this event; consumers use it to do each effect once.",
        examples=["0b0f8a53-3a57-4cf5-9c1c-3b1c0e2b5a41"],
    )
    event_type: str = Field(
        description="Name of the event, in the past tense.", examples=["MessageSubmitted"]
    )
    occurred_at: AwareDatetime = Field(
        description="When the fact happened, in UTC (RFC 3339).",
        examples=["2026-11-28T09:15:00Z"],
    )
    producer: str = Field(description="Service that published the event.", examples=["messages"])

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" not in cls.__dict__:
            cls.type_name = cls.__name__

    @field_validator("occurred_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("event_type")
    @classmethod
    def _matches_class(cls, value: str) -> str:
        if cls.type_name and value != cls.type_name:
            raise ValueError(f"event_type must be {cls.type_name!r}, not {value!r}")
        return value

    @classmethod
    def new(
        cls,
        *,
        producer: str,
        occurred_at: datetime | None = None,
        event_id: uuid.UUID | None = None,
        **fields: Any,
    ) -> Self:
        """Build a fresh event: a new id, the class's type name, now unless told otherwise."""
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=cls.type_name,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            **fields,
        )

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()
