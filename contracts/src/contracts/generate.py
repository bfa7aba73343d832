"""Derive the JSON Schemas and the AsyncAPI 3.0 document from the models and topics.

python -m contracts.generate          # write contracts/schemas/*.json and contracts/asyncapi.yaml
python -m contracts.generate --check  # fail if the committed files differ from the models
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from contracts.envelope import Event
from contracts.topics import ALL_TOPICS, TopicSpec

CONTRACTS_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = CONTRACTS_ROOT / "schemas"
ASYNCAPI_PATH = CONTRACTS_ROOT / "asyncapi.yaml"
SCHEMA_ID_BASE = "https://mes-messages.msa.fr/schemas/events/"
SERVICES = ("auth", "catalog", "messages", "notifier")


def all_events() -> list[type[Event]]:
    seen: dict[str, type[Event]] = {}
    for topic in ALL_TOPICS:
        for event in topic.events:
            seen.setdefault(event.type_name, event)
    return list(seen.values())


def event_schema(event: type[Event]) -> dict[str, Any]:
    """JSON Schema (2020-12) of one event, with ``event_type`` fixed to its name."""
    schema = event.model_json_schema(ref_template="#/$defs/{model}")
    schema["properties"]["event_type"]["const"] = event.type_name
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID_BASE}{event.type_name}.json",
        **schema,
    }


def _channel_id(topic: TopicSpec) -> str:
    return topic.name.replace(".", "_").replace("-", "_")


def _component_schemas() -> dict[str, Any]:
    """Every event and shared type once, with references rewritten for AsyncAPI components."""
    components: dict[str, Any] = {}
    for event in all_events():
        schema = event.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        schema["properties"]["event_type"]["const"] = event.type_name
        components[event.type_name] = schema
    return dict(sorted(components.items()))


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event in all_events():
        messages[event.type_name] = {
            "name": event.type_name,
            "title": event.type_name,
            "summary": (event.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/EventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{event.type_name}"},
        }
    for topic in ALL_TOPICS:
        channel_id = _channel_id(topic)
        refs = {
            event.type_name: {"$ref": f"#/components/messages/{event.type_name}"}
            for event in topic.events
        }
        description = topic.description
        if topic.tombstones:
            description += " Deletion is a record with this key and no value (a tombstone)."
        channels[channel_id] = {
            "address": topic.name,
            "title": topic.name,
            "description": description,
            "messages": refs,
            "bindings": {
                "kafka": {
                    "bindingVersion": "0.5.0",
                    "topic": topic.name,
                    "partitions": topic.partitions,
                    "topicConfiguration": {
                        "cleanup.policy": [topic.cleanup_policy],
                        **(
                            {"retention.ms": topic.retention_ms}
                            if topic.cleanup_policy == "delete"
                            else {}
                        ),
                    },
                }
            },
            "x-key": topic.key,
        }
        message_refs = [
            {"$ref": f"#/channels/{channel_id}/messages/{event.type_name}"}
            for event in topic.events
        ]
        operations[f"{topic.producer}_sends_{channel_id}"] = {
            "action": "send",
            "title": f"{topic.producer} publishes on {topic.name}",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": message_refs,
            "tags": [{"name": topic.producer}],
        }
        for consumer in topic.consumers:
            operations[f"{consumer}_receives_{channel_id}"] = {
                "action": "receive",
                "title": f"{consumer} consumes {topic.name}",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": message_refs,
                "tags": [{"name": consumer}],
                "bindings": {"kafka": {"bindingVersion": "0.5.0", "groupId": {"type": "string"}}},
            }
    schemas = _component_schemas()
    schemas["EventHeaders"] = {
        "type": "object",
        "description": "Kafka record headers of every event.",
        "properties": {
            "traceparent": {"type": "string", "description": "W3C trace context."},
            "event_type": {"type": "string", "description": "Same as the payload's event_type."},
            "event_id": {"type": "string", "format": "uuid"},
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mes messages et mes réponses: events",
            "version": "1.0.0",
            "description": (
                "Events between the services. Every event is a JSON object: an envelope "
                "(event_id, event_type, occurred_at, producer) then its own fields. Events "
                "never carry the text of a message or reply. Consumers ignore unknown fields."
            ),
            "tags": [{"name": service} for service in SERVICES],
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered_files() -> dict[Path, str]:
    files = {
        SCHEMAS_DIR / f"{event.type_name}.json": json.dumps(
            event_schema(event), indent=2, ensure_ascii=False
        )
        + "\n"
        for event in all_events()
    }
    files[ASYNCAPI_PATH] = (
        "# Generated by `python -m contracts.generate`; edit the models instead.\n"
        + yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    files = rendered_files()
    if args.check:
        stale = [
            path
            for path, text in files.items()
            if not path.exists() or path.read_text("utf-8") != text
        ]
        extra = set(SCHEMAS_DIR.glob("*.json")) - set(files)
        for path in [*stale, *sorted(extra)]:
            print(f"out of date: {path.relative_to(CONTRACTS_ROOT)}", file=sys.stderr)
        return 1 if stale or extra else 0
    SCHEMAS_DIR.mkdir(exist_ok=True)
    for stale_schema in set(SCHEMAS_DIR.glob("*.json")) - set(files):
        stale_schema.unlink()
    for path, text in files.items():
        path.write_text(text, "utf-8")
    print(f"wrote {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
