"""Each publication reaches the real broker as one ``catalog.snapshot.v1`` record: the whole
catalog, under the single key ``catalog``, through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from sqlalchemy import select

from catalog.domain.versions import Version
from contracts import decode
from contracts.events.catalog import CatalogPublished
from contracts.topics import CATALOG_SNAPSHOT
from servicekit.outbox import OUTBOX
from servicekit.testing import eventually

pytestmark = pytest.mark.integration


async def snapshot_event_ids(app: FastAPI) -> list[uuid.UUID]:
    """The snapshot events this service committed, oldest first."""
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(OUTBOX.c.event_id)
            .where(OUTBOX.c.topic == CATALOG_SNAPSHOT.name)
            .order_by(OUTBOX.c.id)
        )
        return [row.event_id for row in rows]


async def read_snapshots(
    bootstrap: str, topic: str, wanted: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[bytes, CatalogPublished]]:
    """Read the topic from its beginning, as a new consumer would, until ``wanted`` are seen."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[uuid.UUID, tuple[bytes, CatalogPublished]] = {}
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)

        async def all_seen() -> bool:
            batch = await consumer.getmany(partition, timeout_ms=500)
            for record in batch.get(partition, []):
                event = decode(CATALOG_SNAPSHOT, record.value)
                assert isinstance(event, CatalogPublished)
                if event.event_id in wanted:
                    found[event.event_id] = (record.key, event)
            return wanted <= set(found)

        await eventually(all_seen, timeout=60, message="snapshots not on the broker")
    finally:
        await consumer.stop()
    return found


def node(event: CatalogPublished, code: str) -> Any:
    for theme in event.themes:
        if theme.code == code:
            return theme
        for subject in theme.subjects:
            if subject.code == code:
                return subject
            for motif in subject.motifs:
                if motif.code == code:
                    return motif
    raise AssertionError(f"{code} not in the snapshot")


async def test_each_publication_puts_the_whole_catalog_on_the_broker(
    reference_published: Version,
    app: FastAPI,
    client: httpx.AsyncClient,
    tokens: Any,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
) -> None:
    topic = kafka_topic_prefix + CATALOG_SNAPSHOT.name
    admin = tokens.as_admin()
    deactivated = await client.patch(
        "/admin/nodes/af-dossier", json={"active": False}, headers=admin
    )
    assert deactivated.status_code == 200
    published = await client.post("/admin/publish", headers=admin)
    assert published.status_code == 201

    first_id, second_id = await snapshot_event_ids(app)
    snapshots = await read_snapshots(kafka_bootstrap, topic, {first_id, second_id})

    key, first = snapshots[first_id]
    assert key == b"catalog"
    assert first.version == 1
    assert first.producer == "catalog"
    assert [theme.code for theme in first.themes] == [
        "sante",
        "famille",
        "solidarite",
        "retraite",
        "cotisations",
    ]
    motif = node(first, "af-changement-situation")
    assert motif.skill == "famille"
    assert motif.response_time_days >= 1
    assert motif.online_service.title == "Déclarer un changement de situation"
    assert str(motif.online_service.fund_urls["NPC"]).startswith("https://nord-pasdecalais.msa.fr/")

    key, second = snapshots[second_id]
    assert key == b"catalog"
    assert second.version == 2
    # Deactivated nodes travel too, flagged, so that old codes resolve downstream.
    assert node(second, "af-dossier").active is False
    assert node(first, "af-dossier").active is True
