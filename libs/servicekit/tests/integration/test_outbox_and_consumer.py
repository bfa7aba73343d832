"""A row and its event, through the outbox, the real broker and an idempotent consumer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import SecretStr
from sqlalchemy import Column, MetaData, Table, Text, Uuid, func, select

from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted
from contracts.topics import MESSAGE_SUBMITTED, NOTIFIER_DEAD_LETTER
from servicekit.db import UnitOfWork
from servicekit.kafka import topic_name
from servicekit.outbox import OUTBOX
from servicekit.outbox import metadata as servicekit_metadata
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.testing import eventually, fresh_database

pytestmark = pytest.mark.integration

metadata = MetaData()
NOTES = Table(
    "notes",
    metadata,
    Column("message_id", Uuid, primary_key=True),
    Column("thread_id", Uuid),
    Column("reference", Text),
)
# No unique constraint on purpose: a second effect would show as a second row.
EFFECTS = Table("effects", metadata, Column("event_id", Uuid), Column("thread_id", Uuid))


class KitSettings(ServiceSettings):
    service_name: str = "kit"


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "servicekit_test") as url:
        runtime = ServiceRuntime(KitSettings(database_url=SecretStr(url)))
        async with runtime.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.run_sync(servicekit_metadata.create_all)
        await runtime.engine.dispose()
        yield url


def settings(database_url: str, bootstrap: str, prefix: str) -> KitSettings:
    return KitSettings(
        database_url=SecretStr(database_url),
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        kafka_group_prefix=prefix,
        outbox_poll_interval_seconds=0.5,
    )


async def record_effect(event: MessageSubmitted, uow: UnitOfWork) -> None:
    await uow.session.execute(
        EFFECTS.insert().values(event_id=event.event_id, thread_id=event.thread_id)
    )


def running_runtime(config: KitSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(config)
    runtime.add_consumer(
        "effects",
        MESSAGE_SUBMITTED,
        record_effect,
        unit_of_work=lambda: UnitOfWork(runtime.sessions, producer="kit"),
    )
    return runtime


def message_submitted(thread_id: uuid.UUID, reference: str = "NPC-2026-000001") -> MessageSubmitted:
    node = CatalogNode(code="famille", label="Famille, Allocations familiales, aides au logement")
    return MessageSubmitted.new(
        producer="kit",
        thread_id=thread_id,
        message_id=uuid.uuid4(),
        reference=reference,
        member_id=uuid.uuid4(),
        fund="NPC",
        theme=node,
        subject=node,
        motif=node,
        submitted_at=datetime.now(UTC),
        due_date=date(2026, 12, 10),
        follow_up=False,
    )


async def submit(runtime: ServiceRuntime, event: MessageSubmitted) -> None:
    async with UnitOfWork(runtime.sessions, producer="kit") as uow:
        await uow.session.execute(
            NOTES.insert().values(
                message_id=event.message_id, thread_id=event.thread_id, reference=event.reference
            )
        )
        uow.publish(event)
        await uow.commit()


async def effects_of(runtime: ServiceRuntime, event_id: uuid.UUID) -> int:
    async with runtime.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count()).select_from(EFFECTS).where(EFFECTS.c.event_id == event_id)
        )
    return int(count or 0)


async def outbox_row(runtime: ServiceRuntime, event_id: uuid.UUID, *columns: Any) -> Any:
    async with runtime.engine.connect() as connection:
        return (
            await connection.execute(select(*columns).where(OUTBOX.c.event_id == event_id))
        ).one()


async def wait_for_effect(
    runtime: ServiceRuntime, event_id: uuid.UUID, timeout: float = 30.0
) -> None:
    async def seen() -> bool:
        return await effects_of(runtime, event_id) >= 1

    await eventually(seen, timeout=timeout, message=f"no effect of {event_id}")


async def test_a_committed_row_and_its_event_reach_the_consumer_exactly_once(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    runtime = running_runtime(settings(database_url, kafka_bootstrap, kafka_topic_prefix))
    await runtime.start()
    try:
        thread_id = uuid.uuid4()
        first = message_submitted(thread_id)
        await submit(runtime, first)
        await wait_for_effect(runtime, first.event_id)
        # A later event of the same thread lands on the same partition, after the first:
        # once it is applied, any duplicate of the first would have been applied too.
        sentinel = message_submitted(thread_id, reference="NPC-2026-000002")
        await submit(runtime, sentinel)
        await wait_for_effect(runtime, sentinel.event_id)
        assert await effects_of(runtime, first.event_id) == 1
        async with runtime.engine.connect() as connection:
            unpublished = await connection.scalar(
                select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            )
        assert unpublished == 0
    finally:
        await runtime.stop()


async def test_a_rolled_back_unit_of_work_publishes_nothing(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    runtime = running_runtime(settings(database_url, kafka_bootstrap, kafka_topic_prefix))
    await runtime.start()
    try:
        thread_id = uuid.uuid4()
        abandoned = message_submitted(thread_id)
        async with UnitOfWork(runtime.sessions, producer="kit") as uow:
            uow.publish(abandoned)
            # leaving without commit
        sentinel = message_submitted(thread_id)
        await submit(runtime, sentinel)
        await wait_for_effect(runtime, sentinel.event_id)
        assert await effects_of(runtime, abandoned.event_id) == 0
    finally:
        await runtime.stop()


async def test_an_event_committed_while_the_broker_is_down_arrives_once_it_is_back(
    database_url: str, disposable_kafka: object
) -> None:
    from devstack.pytest_plugin import DisposableKafka

    assert isinstance(disposable_kafka, DisposableKafka)
    runtime = running_runtime(settings(database_url, disposable_kafka.bootstrap, ""))
    await runtime.start()
    try:
        warm_up = message_submitted(uuid.uuid4())
        await submit(runtime, warm_up)
        await wait_for_effect(runtime, warm_up.event_id, timeout=60)

        disposable_kafka.stop()
        during_outage = message_submitted(uuid.uuid4())
        await submit(runtime, during_outage)  # the member's request succeeds
        async with runtime.engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count())
                .select_from(OUTBOX)
                .where(OUTBOX.c.event_id == during_outage.event_id, OUTBOX.c.published_at.is_(None))
            )
        assert pending == 1, "with the broker down the event waits in the outbox"

        disposable_kafka.start()
        await wait_for_effect(runtime, during_outage.event_id, timeout=90)
        assert await effects_of(runtime, during_outage.event_id) == 1
    finally:
        await runtime.stop()


async def test_a_redelivered_event_has_no_second_effect(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    config = settings(database_url, kafka_bootstrap, kafka_topic_prefix)
    topic = kafka_topic_prefix + MESSAGE_SUBMITTED.name
    thread_id = uuid.uuid4()
    event = message_submitted(thread_id)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        # The same event twice on the wire, as a relay retrying after a lost acknowledgement would.
        for _ in range(2):
            await producer.send_and_wait(topic, event.to_json(), key=str(thread_id).encode())
    finally:
        await producer.stop()

    runtime = running_runtime(config)
    await runtime.start()
    try:
        sentinel = message_submitted(thread_id)
        await submit(runtime, sentinel)
        await wait_for_effect(runtime, sentinel.event_id)
        assert await effects_of(runtime, event.event_id) == 1
    finally:
        await runtime.stop()

    # Rewind the consumer group to the beginning: everything is delivered again.
    group = f"{kafka_topic_prefix}kit.effects"
    rewinder = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await rewinder.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(MESSAGE_SUBMITTED.partitions)]
        rewinder.assign(partitions)
        await rewinder.seek_to_beginning(*partitions)
        await rewinder.commit({tp: 0 for tp in partitions})
    finally:
        await rewinder.stop()

    runtime = running_runtime(config)
    await runtime.start()
    try:
        after_rewind = message_submitted(thread_id)
        await submit(runtime, after_rewind)
        await wait_for_effect(runtime, after_rewind.event_id)
        assert await effects_of(runtime, event.event_id) == 1
        assert await effects_of(runtime, sentinel.event_id) == 1
    finally:
        await runtime.stop()


async def test_a_row_that_cannot_be_published_does_not_hold_up_the_others(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    from dataclasses import replace

    config = settings(database_url, kafka_bootstrap, kafka_topic_prefix).model_copy(
        update={"kafka_request_timeout_ms": 2000}
    )
    runtime = running_runtime(config)
    await runtime.start()
    try:
        # A topic nobody created (a rollout that forgot its KafkaTopic, say).
        missing = replace(MESSAGE_SUBMITTED, name="messages.never-created.v1")
        stuck = message_submitted(uuid.uuid4())
        async with UnitOfWork(runtime.sessions, producer="kit") as uow:
            uow.publish(stuck, topic=missing)
            await uow.commit()
        other = message_submitted(uuid.uuid4())
        await submit(runtime, other)
        await wait_for_effect(runtime, other.event_id, timeout=60)

        async def recorded() -> object:
            async with runtime.engine.connect() as connection:
                return (
                    await connection.execute(
                        select(OUTBOX.c.attempts, OUTBOX.c.last_error, OUTBOX.c.published_at).where(
                            OUTBOX.c.event_id == stuck.event_id
                        )
                    )
                ).one_or_none()

        row = await eventually(
            lambda: _with_error(recorded), timeout=30, message="the failure was not recorded"
        )
        assert row.published_at is None
        assert row.attempts >= 1
    finally:
        await runtime.stop()


async def _with_error(read: object) -> object:
    row = await read()  # type: ignore[operator]
    return row if row is not None and row.last_error else None


async def test_a_cluster_that_is_away_fails_the_batch_and_lets_no_key_rest(
    database_url: str,
) -> None:
    """Acknowledgements that never came (the brokers killed) are no row's fault: the batch
    fails as a whole, to be tried again within seconds, and no key is set to rest (rests
    grow to minutes: the backlog used to leave long after the brokers were back)."""
    from aiokafka.errors import KafkaTimeoutError

    from servicekit.outbox import OutboxRelay

    async def never_acknowledged(*_args: object) -> object:
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failed.set_exception(KafkaTimeoutError("batch expired"))
        return failed

    runtime = ServiceRuntime(KitSettings(database_url=SecretStr(database_url)))
    relay = OutboxRelay(runtime.engine, never_acknowledged, listen_dsn=None)
    try:
        event = message_submitted(uuid.uuid4())
        await submit(runtime, event)
        with pytest.raises(KafkaTimeoutError):
            await relay.publish_batch()
        assert relay._resting == {}
        row = await outbox_row(runtime, event.event_id, OUTBOX.c.attempts, OUTBOX.c.published_at)
        assert row.published_at is None
        assert row.attempts == 0
    finally:
        await runtime.engine.dispose()


async def test_one_time_secrets_leave_the_outbox_once_published(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    from contracts.events.auth import ActivationCodeIssued

    runtime = running_runtime(settings(database_url, kafka_bootstrap, kafka_topic_prefix))
    await runtime.start()
    try:
        issued = ActivationCodeIssued.new(
            producer="kit",
            member_id=uuid.uuid4(),
            fund="NPC",
            email="camille.martin@example.fr",
            given_name="Camille",
            code="482913",
            expires_at=datetime.now(UTC),
        )
        async with UnitOfWork(runtime.sessions, producer="kit") as uow:
            uow.publish(issued)
            await uow.commit()

        async def published_payload() -> object:
            row = await outbox_row(
                runtime, issued.event_id, OUTBOX.c.payload, OUTBOX.c.published_at
            )
            return row.payload if row.published_at is not None else None

        payload = await eventually(published_payload, timeout=30, message="not published")
        assert isinstance(payload, dict)
        assert "code" not in payload
        assert payload["email"] == "camille.martin@example.fr"
    finally:
        await runtime.stop()


async def test_an_event_the_handler_keeps_failing_on_is_dead_lettered_without_its_secrets(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    from contracts.events.auth import ActivationCodeIssued
    from contracts.topics import ACCOUNT_NOTIFICATION, NOTIFIER_DEAD_LETTER

    runtime = ServiceRuntime(settings(database_url, kafka_bootstrap, kafka_topic_prefix))

    async def always_fails(_event: object, _uow: UnitOfWork) -> None:
        raise ValueError("a template that cannot render")

    runtime.add_consumer(
        "always-fails",
        ACCOUNT_NOTIFICATION,
        always_fails,
        unit_of_work=lambda: UnitOfWork(runtime.sessions, producer="kit"),
        dead_letter_topic=NOTIFIER_DEAD_LETTER,
        max_attempts=2,
        backoff_base=0.05,
    )
    await runtime.start()
    try:
        issued = ActivationCodeIssued.new(
            producer="kit",
            member_id=uuid.uuid4(),
            fund="NPC",
            email="camille.martin@example.fr",
            given_name="Camille",
            code="482913",
            expires_at=datetime.now(UTC),
        )
        async with UnitOfWork(runtime.sessions, producer="kit") as uow:
            uow.publish(issued)
            await uow.commit()

        async def dead_letter() -> object:
            async with runtime.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(OUTBOX.c.payload).where(OUTBOX.c.event_type == "EventDeadLettered")
                    )
                ).all()
            return next(
                (
                    row.payload
                    for row in rows
                    if row.payload["source_event_id"] == str(issued.event_id)
                ),
                None,
            )

        letter = await eventually(dead_letter, timeout=60, message="no dead letter")
        assert isinstance(letter, dict)
        assert letter["attempts"] == 2
        assert "a template that cannot render" in letter["reason"]
        assert letter["source"]["code"] == "[supprimé]"
        assert letter["source"]["email"] == "camille.martin@example.fr"
        assert "482913" not in str(letter)
    finally:
        await runtime.stop()


async def test_a_poll_s_records_are_applied_once_each_and_a_failing_one_is_set_apart(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    runtime = ServiceRuntime(settings(database_url, kafka_bootstrap, kafka_topic_prefix))
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
    events = [message_submitted(thread_id) for _ in range(40)]
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
                # This thread's only: the topic holds the other tests' events too.
                rows = await connection.execute(
                    select(EFFECTS.c.event_id, func.count())
                    .where(EFFECTS.c.thread_id == thread_id)
                    .group_by(EFFECTS.c.event_id)
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


async def test_two_relays_publish_every_row_once_and_each_key_in_order(
    database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    """Two replicas' relays on one outbox (``make run REPLICAS=2``): each event on the topic
    once, and the events of a thread (one key) in the order they were committed."""
    config = settings(database_url, kafka_bootstrap, kafka_topic_prefix)
    replicas = [ServiceRuntime(config), ServiceRuntime(config)]
    for replica in replicas:
        await replica.start()
    try:
        threads = [uuid.uuid4() for _ in range(4)]
        committed: dict[uuid.UUID, list[uuid.UUID]] = {thread: [] for thread in threads}
        for round_number in range(15):
            # both replicas' units of work commit, interleaving the threads
            for index, thread in enumerate(threads):
                event = message_submitted(thread, reference=f"NPC-2026-{round_number:06d}")
                await submit(replicas[index % 2], event)
                committed[thread].append(event.event_id)

        consumer = AIOKafkaConsumer(
            topic_name(config, MESSAGE_SUBMITTED),
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen: dict[uuid.UUID, list[uuid.UUID]] = {thread: [] for thread in threads}
        try:

            async def all_seen() -> bool:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        event = MessageSubmitted.model_validate_json(record.value)
                        if event.thread_id in seen:
                            seen[event.thread_id].append(event.event_id)
                return sum(map(len, seen.values())) >= 60

            await eventually(all_seen, timeout=60, message="not every event was published")
        finally:
            await consumer.stop()
        assert seen == committed
    finally:
        for replica in replicas:
            await replica.stop()
