"""Reading events off a topic: pick the model by ``event_type``, ignore unknown fields."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from contracts.envelope import Event
from contracts.topics import TopicSpec


class UndecodableEvent(ValueError):
    """The record is not an event this topic declares: it cannot succeed, however retried."""


def decode(topic: TopicSpec, value: bytes | str | dict[str, Any]) -> Event:
    try:
        raw = value if isinstance(value, dict) else json.loads(value)
    except (ValueError, UnicodeDecodeError) as error:
        raise UndecodableEvent(f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise UndecodableEvent("not a JSON object")
    event_type = raw.get("event_type")
    for model in topic.events:
        if model.type_name == event_type:
            try:
                return model.model_validate(raw)
            except ValidationError as error:
                raise UndecodableEvent(f"invalid {event_type}: {error}") from error
    raise UndecodableEvent(f"{topic.name} declares no event_type {event_type!r}")
