"""The models, the JSON Schemas, the AsyncAPI document and the topic list say the same thing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from contracts import ALL_TOPICS, UndecodableEvent, all_funds, decode, topic_for
from contracts.events.auth import MemberContactChanged
from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted
from contracts.generate import ASYNCAPI_PATH, SCHEMAS_DIR, all_events, main, rendered_files

pytestmark = pytest.mark.unit

VENDOR = Path(__file__).parent / "vendor"


def message_submitted(**overrides: Any) -> MessageSubmitted:
    fields: dict[str, Any] = {
        "thread_id": uuid.uuid4(),
        "message_id": uuid.uuid4(),
        "reference": "NPC-2026-000123",
        "member_id": uuid.uuid4(),
        "fund": "NPC",
        "theme": CatalogNode(
            code="famille", label="Famille, Allocations familiales, aides au logement"
        ),
        "subject": CatalogNode(code="famille.allocations", label="Allocations familiales"),
        "motif": CatalogNode(
            code="famille.allocations.changement", label="Mon changement de situation"
        ),
        "submitted_at": datetime(2026, 11, 28, 9, 15, tzinfo=UTC),
        "due_date": date(2026, 12, 10),
        "follow_up": False,
    }
    return MessageSubmitted.new(producer="messages", **(fields | overrides))


def test_committed_schemas_and_asyncapi_match_the_models() -> None:
    assert main(["--check"]) == 0, "run `uv run python -m contracts.generate` and commit"
    assert set(rendered_files()) == {*SCHEMAS_DIR.glob("*.json"), ASYNCAPI_PATH}


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    document = yaml.safe_load(ASYNCAPI_PATH.read_text("utf-8"))
    schema = json.loads((VENDOR / "asyncapi-3.0.0.schema.json").read_text("utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_reference_in_the_asyncapi_document_resolves() -> None:
    document = yaml.safe_load(ASYNCAPI_PATH.read_text("utf-8"))
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    for ref in refs:
        assert _resolve(document, ref) is not None, ref


def test_every_topic_is_a_channel_with_its_events_and_policy() -> None:
    document = yaml.safe_load(ASYNCAPI_PATH.read_text("utf-8"))
    channels = {channel["address"]: channel for channel in document["channels"].values()}
    assert set(channels) == {topic.name for topic in ALL_TOPICS}
    for topic in ALL_TOPICS:
        channel = channels[topic.name]
        assert set(channel["messages"]) == {event.type_name for event in topic.events}
        binding = channel["bindings"]["kafka"]
        assert binding["partitions"] == topic.partitions
        assert binding["topicConfiguration"]["cleanup.policy"] == [topic.cleanup_policy]


def test_topic_names_follow_the_convention_and_producers_own_them() -> None:
    for topic in ALL_TOPICS:
        service, event, version = topic.name.split(".")
        assert service == topic.producer
        assert event == event.lower()
        assert " " not in event
        assert version.startswith("v")
        assert version[1:].isdigit()


@pytest.mark.parametrize("event", all_events(), ids=lambda e: e.type_name)
def test_schema_event_type_is_fixed_to_the_event(event: type) -> None:
    schema = json.loads((SCHEMAS_DIR / f"{event.type_name}.json").read_text("utf-8"))
    assert schema["properties"]["event_type"]["const"] == event.type_name
    assert schema.get("additionalProperties") is not False, (
        "adding a field must not break consumers"
    )


def test_decoding_picks_the_model_and_ignores_unknown_fields() -> None:
    event = message_submitted()
    raw = json.loads(event.to_json()) | {"a_field_added_later": 42}
    decoded = decode(topic_for(MessageSubmitted), json.dumps(raw).encode())
    assert decoded == event


@pytest.mark.parametrize(
    "value",
    [b"not json", b"[]", b'{"event_type": "Nonsense"}', b'{"event_type": "MessageSubmitted"}'],
)
def test_a_record_that_is_not_a_declared_event_is_undecodable(value: bytes) -> None:
    with pytest.raises(UndecodableEvent):
        decode(topic_for(MessageSubmitted), value)


def test_event_type_must_match_the_model() -> None:
    raw = json.loads(message_submitted().to_json()) | {"event_type": "ReplyPosted"}
    with pytest.raises(ValidationError):
        MessageSubmitted.model_validate(raw)


def test_events_never_carry_message_text() -> None:
    for event in all_events():
        fields = set(event.model_fields)
        assert not fields & {"text", "body", "content", "message", "reply", "comment"}


def test_fund_must_be_one_of_the_35_funds() -> None:
    assert len(all_funds()) == 35
    assert all_funds()["NPC"].site == "https://nord-pasdecalais.msa.fr"
    with pytest.raises(ValidationError):
        message_submitted(fund="XYZ")


def test_occurred_at_is_stored_in_utc() -> None:
    from zoneinfo import ZoneInfo

    paris = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    event = MemberContactChanged.new(
        producer="auth",
        occurred_at=paris,
        member_id=uuid.uuid4(),
        fund="NPC",
        email="camille.martin@example.fr",
        given_name="Camille",
        family_name="MARTIN",
    )
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert event.occurred_at == paris
