"""Idempotent sends, and the events they publish through the outbox (never the text)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.topics import MESSAGE_SUBMITTED, REPLY_POSTED
from messages.adapters.orm import THREADS
from servicekit.testing import eventually
from services.messages.tests.support import People, new_message, send

pytestmark = pytest.mark.integration


async def threads_of(app: FastAPI, member_id: uuid.UUID) -> int:
    async with app.state.runtime.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(THREADS).where(THREADS.c.member_id == member_id)
        )
    return int(count or 0)


async def test_ten_concurrent_sends_with_one_key_create_one_thread(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    key = str(uuid.uuid4())
    responses = await asyncio.gather(*(send(client, camille, key=key) for _ in range(10)))
    assert [response.status_code for response in responses] == [201] * 10
    assert len({response.json()["thread_id"] for response in responses}) == 1
    assert len({response.json()["reference"] for response in responses}) == 1
    assert sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 9
    assert await threads_of(app, camille.id) == 1


async def test_a_key_reused_for_other_content_is_a_conflict_and_a_key_is_required(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    key = str(uuid.uuid4())
    first = await send(client, camille, key=key)
    again = await send(client, camille, key=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    other = await send(client, camille, key=key, text="Un tout autre message pour ma caisse.")
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert "nouvelle clé" in other.json()["detail"]

    missing = await client.post("/threads", json=new_message(), headers=camille.headers)
    assert missing.status_code == 428
    assert "Idempotency-Key" in missing.json()["detail"]
    # Another member may use the same key: keys belong to whoever sends them.
    paul = people.member()
    assert (await send(client, paul, key=key)).status_code == 201
    assert await threads_of(app, camille.id) == 1


async def test_a_refused_send_leaves_the_key_free_for_the_corrected_message(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member()
    key = str(uuid.uuid4())
    refused = await send(client, camille, key=key, text="Court.")
    assert refused.status_code == 422
    assert (await send(client, camille, key=key)).status_code == 201


@pytest.fixture
async def event_consumer(
    kafka_bootstrap: str, kafka_topic_prefix: str
) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        kafka_topic_prefix + MESSAGE_SUBMITTED.name,
        kafka_topic_prefix + REPLY_POSTED.name,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def events_of_thread(
    consumer: AIOKafkaConsumer, thread_id: str, count: int, timeout: float = 30.0
) -> list[tuple[str, bytes, dict[str, Any]]]:
    found: list[tuple[str, bytes, dict[str, Any]]] = []

    async def enough() -> bool:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.key == thread_id.encode():
                    found.append((record.topic, record.value, json.loads(record.value)))
        return len(found) >= count

    await eventually(enough, timeout=timeout, message=f"events of {thread_id}")
    return found


async def test_send_follow_up_and_reply_publish_their_events_without_the_text(
    client: httpx.AsyncClient,
    people: People,
    event_consumer: AIOKafkaConsumer,
    kafka_topic_prefix: str,
) -> None:
    camille = people.member("NPC")
    agent = people.agent("NPC")
    secret_words = "Mon dossier confidentiel numéro quarante-deux"
    sent = (await send(client, camille, text=secret_words)).json()
    thread_id = sent["thread_id"]
    reply = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Réponse confidentielle de la caisse"},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201
    follow_up = await client.post(
        f"/threads/{thread_id}/messages",
        json={"text": "Relance confidentielle du membre"},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert follow_up.status_code == 201

    events = await events_of_thread(event_consumer, thread_id, 3)
    topics = [topic.removeprefix(kafka_topic_prefix) for topic, _, _ in events]
    assert topics.count(MESSAGE_SUBMITTED.name) == 2
    assert topics.count(REPLY_POSTED.name) == 1
    submitted = [event for _, _, event in events if event["event_type"] == "MessageSubmitted"]
    first = next(event for event in submitted if not event["follow_up"])
    assert first["thread_id"] == thread_id
    assert first["message_id"] == sent["message_id"]
    assert first["reference"] == sent["reference"]
    assert first["member_id"] == str(camille.id)
    assert first["fund"] == "NPC"
    assert first["motif"] == {
        "code": "af-changement-situation",
        "label": "Mon changement de situation",
    }
    assert first["due_date"] == sent["due_date"]
    assert first["producer"] == "messages"
    assert any(event["follow_up"] for event in submitted)
    posted = next(event for _, _, event in events if event["event_type"] == "ReplyPosted")
    assert posted["reference"] == sent["reference"]
    assert posted["member_id"] == str(camille.id)
    for _, raw, _ in events:
        assert b"confidentiel" not in raw
