"""The catalog the service holds, and sends that survive a broker outage."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from contracts.topics import MESSAGE_SUBMITTED
from messages.main import create_app
from servicekit.consumer import PROCESSED_EVENTS
from servicekit.migrations import upgrade_async
from servicekit.outbox import OUTBOX
from servicekit.testing import eventually, fresh_database
from services.messages.tests.support import (
    MIGRATIONS,
    People,
    catalog_snapshot,
    new_message,
    publish_catalog,
    send,
    service_settings,
    topics_with_leaders,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def empty_database(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "messages_catalog") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://messages.test"
    )


async def test_until_a_catalog_arrives_the_service_says_to_retry_then_keeps_the_newest(
    empty_database: str,
    kafka_bootstrap: str,
    jwks_url: str,
    people: People,
    new_topic_prefix: Callable[[str], str],
) -> None:
    prefix = new_topic_prefix("catalog-arrival")
    await topics_with_leaders(kafka_bootstrap, prefix)
    app = create_app(service_settings(empty_database, kafka_bootstrap, prefix, jwks_url))
    member = people.member()
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=120), http(app) as client:
        waiting = await client.post("/messages/prepare", json=new_message(), headers=member.headers)
        assert waiting.status_code == 503
        assert waiting.headers["content-type"] == "application/problem+json"
        assert waiting.headers["retry-after"] == "5"
        assert "réessayez dans quelques instants" in waiting.json()["detail"]
        assert (await send(client, member)).status_code == 503

        await publish_catalog(kafka_bootstrap, prefix, catalog_snapshot(version=2))

        async def accepted() -> bool:
            response = await client.post(
                "/messages/prepare", json=new_message(), headers=member.headers
            )
            return response.status_code == 200

        await eventually(accepted, timeout=60, message="catalog never loaded")

        older = catalog_snapshot(version=1, motif_label="Ancien libellé")
        await publish_catalog(kafka_bootstrap, prefix, older)

        async def handled() -> bool:
            async with app.state.runtime.engine.connect() as connection:
                count = await connection.scalar(
                    select(func.count())
                    .select_from(PROCESSED_EVENTS)
                    .where(PROCESSED_EVENTS.c.event_id == older.event_id)
                )
            return bool(count)

        await eventually(handled, timeout=60, message="older snapshot not consumed")
        recap = await client.post("/messages/prepare", json=new_message(), headers=member.headers)
        assert recap.json()["recap"]["motif"]["label"] == "Mon changement de situation"

        newer = catalog_snapshot(version=3, motif_label="Je change de situation")
        await publish_catalog(kafka_bootstrap, prefix, newer)

        async def relabelled() -> bool:
            response = await client.post(
                "/messages/prepare", json=new_message(), headers=member.headers
            )
            return bool(response.json()["recap"]["motif"]["label"] == "Je change de situation")

        await eventually(relabelled, timeout=60, message="newer snapshot not used")
        sent = (await send(client, member)).json()
        assert sent["motif"]["label"] == "Je change de situation"

    # A restarted service (here on topics with no snapshot) has the stored one at once.
    empty_prefix = new_topic_prefix("catalog-restart")
    await topics_with_leaders(kafka_bootstrap, empty_prefix)
    restarted = create_app(
        service_settings(empty_database, kafka_bootstrap, empty_prefix, jwks_url)
    )
    async with (
        LifespanManager(restarted, startup_timeout=120, shutdown_timeout=120),
        http(restarted) as client,
    ):
        response = await client.post(
            "/messages/prepare", json=new_message(), headers=member.headers
        )
        assert response.status_code == 200
        assert response.json()["recap"]["motif"]["label"] == "Je change de situation"
        # Labels are stored as they were: the thread sent before keeps its own.
        thread = await client.get(f"/threads/{sent['thread_id']}", headers=member.headers)
        assert thread.json()["motif"]["label"] == "Je change de situation"


async def test_a_send_while_the_broker_is_down_is_accepted_and_its_event_arrives_later(
    empty_database: str, disposable_kafka: Any, jwks_url: str, people: People
) -> None:
    bootstrap = disposable_kafka.bootstrap
    await topics_with_leaders(bootstrap, "")
    await publish_catalog(bootstrap, "", catalog_snapshot(version=1))
    app = create_app(service_settings(empty_database, bootstrap, "", jwks_url))
    member = people.member()
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=120), http(app) as client:

        async def loaded() -> bool:
            return app.state.catalog.version == 1

        await eventually(loaded, timeout=90, message="catalog not loaded")

        disposable_kafka.stop()
        response = await send(client, member)
        assert response.status_code == 201, response.text
        sent = response.json()
        async with app.state.runtime.engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count())
                .select_from(OUTBOX)
                .where(OUTBOX.c.key == sent["thread_id"], OUTBOX.c.published_at.is_(None))
            )
        assert pending == 1, "with the broker down the event waits in the outbox"

        disposable_kafka.start()
        consumer = AIOKafkaConsumer(
            MESSAGE_SUBMITTED.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            found: list[bytes] = []

            async def arrived() -> bool:
                batches = await consumer.getmany(timeout_ms=500)
                found.extend(
                    record.value
                    for records in batches.values()
                    for record in records
                    if record.key == sent["thread_id"].encode()
                )
                return bool(found)

            await eventually(arrived, timeout=120, message="event never published")
        finally:
            await consumer.stop()
        assert sent["message_id"].encode() in found[0]
