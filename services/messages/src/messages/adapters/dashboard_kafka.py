"""The dashboard's topics as Kafka holds them: replayed from their beginning (the rebuild),
and how far the projection's consumer groups are behind their end (the lag).

Neither joins a consumer group: the replay assigns itself every partition, the lag reads
the groups' committed offsets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from contracts import Event, TopicSpec, UndecodableEvent, decode
from servicekit.kafka import client_options, topic_name
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings

logger = get_logger(__name__)

#: A partition as the rebuild speaks of it: (topic name as Kafka holds it, partition).
Position = tuple[str, int]


def _consumer(settings: ServiceSettings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-dashboard",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=settings.kafka_request_timeout_ms,
        **client_options(settings),
    )


def _admin(settings: ServiceSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-dashboard",
        request_timeout_ms=settings.kafka_request_timeout_ms,
        **client_options(settings),
    )


async def _partitions(admin: AIOKafkaAdminClient, names: Sequence[str]) -> list[TopicPartition]:
    """The partitions of the topics ``names``, as the cluster has them now (all topics are
    described: naming them in the request could create them)."""
    described = {topic["topic"]: topic for topic in await admin.describe_topics()}
    partitions: list[TopicPartition] = []
    for name in names:
        topic = described.get(name)
        if topic is None or not topic["partitions"]:
            raise LookupError(f"topic {name} does not exist")
        numbers = sorted(partition["partition"] for partition in topic["partitions"])
        partitions.extend(TopicPartition(name, number) for number in numbers)
    return partitions


class TopicReplay:
    """Every event of the dashboard's topics, from their beginning up to given offsets."""

    def __init__(self, settings: ServiceSettings, topics: Sequence[TopicSpec]) -> None:
        self._settings = settings
        self._specs = {topic_name(settings, topic): topic for topic in topics}

    async def end_offsets(self) -> dict[Position, int]:
        admin = _admin(self._settings)
        consumer = _consumer(self._settings)
        await admin.start()
        try:
            await consumer.start()
            partitions = await _partitions(admin, list(self._specs))
            ends = await consumer.end_offsets(partitions)
        finally:
            await _stop(consumer)
            await _quietly(admin.close())
        return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}

    async def events(
        self, start: Mapping[Position, int] | None, end: Mapping[Position, int]
    ) -> AsyncIterator[Event | None]:
        """Each record from ``start`` (the beginning when None) to before ``end``, decoded;
        None for a record that is not an event its topic declares (the live consumers
        dead-lettered it)."""
        if start is not None and all(start.get(key, 0) >= offset for key, offset in end.items()):
            return
        consumer = _consumer(self._settings)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, number) for topic, number in end]
            consumer.assign(partitions)
            for partition in partitions:
                key = (partition.topic, partition.partition)
                if start is not None and key in start:
                    consumer.seek(partition, start[key])
                else:
                    await consumer.seek_to_beginning(partition)
            remaining = {
                partition
                for partition in partitions
                if await consumer.position(partition) < end[(partition.topic, partition.partition)]
            }
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000)
                for partition, records in batches.items():
                    last = end[(partition.topic, partition.partition)]
                    for record in records:
                        if record.offset >= last:
                            break
                        if record.value is None:
                            continue
                        try:
                            yield decode(self._specs[partition.topic], record.value)
                        except UndecodableEvent:
                            yield None
                for partition in list(remaining):
                    if (
                        await consumer.position(partition)
                        >= end[(partition.topic, partition.partition)]
                    ):
                        remaining.discard(partition)
        finally:
            await _stop(consumer)


class GroupLag:
    """Events of each topic that its consumer group has not committed yet, added up."""

    def __init__(self, settings: ServiceSettings, groups: Mapping[str, TopicSpec]) -> None:
        self._settings = settings
        self._groups = {group: topic_name(settings, topic) for group, topic in groups.items()}
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = _admin(self._settings)
            consumer = _consumer(self._settings)
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                await _quietly(admin.close())
                await _stop(consumer)
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def behind_by(self) -> int:
        try:
            admin, consumer = await self._clients()
            # One description of the cluster's topics and one request for their ends and
            # beginnings, whatever the number of groups (describing lists every topic).
            every = await _partitions(admin, sorted(set(self._groups.values())))
            ends = await consumer.end_offsets(every)
            beginnings = await consumer.beginning_offsets(every)
            total = 0
            for group, name in self._groups.items():
                partitions = [partition for partition in every if partition.topic == name]
                committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
                for partition in partitions:
                    done = committed.get(partition)
                    position = (
                        done.offset
                        if done is not None and done.offset >= 0
                        else beginnings[partition]
                    )
                    total += max(0, ends[partition] - position)
            return total
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        if admin is not None:
            await _quietly(admin.close())
        if consumer is not None:
            await _stop(consumer)


async def _quietly(closing: Any) -> None:
    with contextlib.suppress(Exception):
        await closing


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer that joined no group. aiokafka may raise the cancellation of its own
    committed-offsets task when it is stopped soon after starting: only ours propagates."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
