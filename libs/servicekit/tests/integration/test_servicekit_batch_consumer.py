"""A batch consumer: the records of one poll in one transaction and one offset commit, each
event's effect once, and a failing event set apart without holding up the others."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from sqlalchemy import Column, MetaData, Table, Uuid, func, select

from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted
from contracts.topics import MESSAGE_SUBMITTED, NOTIFIER_DEAD_LETTER
from servicekit.db import UnitOfWork
from servicekit.outbox import OUTBOX
from servicekit.outbox import metadata as servicekit_metadata
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.testing import eventually, fresh_database

pytestmark = pytest.mark.integration

metadata = MetaData()
# No unique constraint on purpose: a second effect would show as a second row.
EFFECTS = Table("batch_effects", metadata, Column("event_id", Uuid), Column("thread_id", Uuid))


class KitSettings(ServiceSettings):
    service_name: str = "kit"


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "servicekit_batch_test") as url:
        runtime = ServiceRuntime(KitSettings(environment="test", database_url=SecretStr(url)))
        async with runtime.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.run_sync(servicekit_metadata.create_all)
        await runtime.engine.dispose()
        yield url


def an_event(thread_id: uuid.UUID) -> MessageSubmitted:
    node = CatalogNode(code="famille", label="Famille")
    return MessageSubmitted.new(
        producer="kit",
        thread_id=thread_id,
        message_id=uuid.uuid4(),
        reference="NPC-2026-000001",
        member_id=uuid.uuid4(),
        fund="NPC",
        theme=node,
        subject=node,
        motif=node,
        submitted_at=datetime.now(UTC),
        due_date=date(2026, 12, 10),
        follow_up=False,
    )


async def test_a_poll_s_records_are_applied_once_each_and_a_failing_one_is_set_apart(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    runtime = ServiceRuntime(
        KitSettings(
            environment="test",
            database_url=SecretStr(database_url),
            kafka_bootstrap_servers=kafka_bootstrap,
            kafka_topic_prefix=kafka_topic_prefix,
            kafka_group_prefix=kafka_topic_prefix,
        )
    )
    poisoned: set[uuid.UUID] = set()

    async def record_effect(event: MessageSubmitted, uow: UnitOfWork) -> None:
        if event.event_id in poisoned:
            raise ValueError("this event cannot be handled")
        await uow.session.execute(
            EFFECTS.insert().values(event_id=event.event_id, thread_id=event.thread_id)
        )

    runtime.add_consumer(
        "batch-effects",
        MESSAGE_SUBMITTED,
        record_effect,
        unit_of_work=lambda: UnitOfWork(runtime.sessions, producer="kit"),
        dead_letter_topic=NOTIFIER_DEAD_LETTER,
        max_attempts=2,
        backoff_base=0.05,
        batch_size=50,
    )
    # Written before the consumer starts: its first polls return many records at once. One
    # thread (one partition, in order), each event sent twice as a relay retrying would.
    thread_id = uuid.uuid4()
    events = [an_event(thread_id) for _ in range(40)]
    poisoned.add(events[17].event_id)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for event in events + events:
            await producer.send(
                kafka_topic_prefix + MESSAGE_SUBMITTED.name,
                value=event.to_json(),
                key=str(thread_id).encode(),
                headers=[("event_id", str(event.event_id).encode())],
            )
        await producer.flush()
    finally:
        await producer.stop()

    await runtime.start()
    try:

        async def effects() -> dict[uuid.UUID, int]:
            async with runtime.engine.connect() as connection:
                rows = await connection.execute(
                    select(EFFECTS.c.event_id, func.count()).group_by(EFFECTS.c.event_id)
                )
                return {row[0]: int(row[1]) for row in rows}

        async def all_but_the_poisoned() -> bool:
            return len(await effects()) == len(events) - 1

        await eventually(all_but_the_poisoned, timeout=90, message="not every effect arrived")

        async def dead_letter() -> bool:
            async with runtime.engine.connect() as connection:
                count = await connection.scalar(
                    select(func.count())
                    .select_from(OUTBOX)
                    .where(
                        OUTBOX.c.event_type == "EventDeadLettered",
                        OUTBOX.c.payload["source_event_id"].astext == str(events[17].event_id),
                    )
                )
            return count == 1

        await eventually(dead_letter, timeout=60, message="the failing event was not set apart")
        seen = await effects()
        assert all(count == 1 for count in seen.values()), "an event had two effects"
        assert events[17].event_id not in seen
    finally:
        await runtime.stop()
