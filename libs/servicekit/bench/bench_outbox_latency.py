"""Outbox publish latency: from a unit of work's commit to the event in a Kafka consumer's hands.

    uv run python libs/servicekit/bench/bench_outbox_latency.py [--events 500] [--rate 100]

Uses the local stack's PostgreSQL and Kafka (started if needed; ``KAFKA_BOOTSTRAP_SERVERS`` and
``DEVSTACK_POSTGRES_URL`` name running ones instead), a database and topics of its own, the
real relay (LISTEN/NOTIFY wake-up) and a plain consumer that holds its partitions before the
first event. Beside it, the baseline: the same events at the same pace sent straight to Kafka
by a producer set as the relay's (idempotent, acks=all). Both ways, each event is published at
its own time (``--rate`` a second, an open loop), so a slow commit never lowers the pace it
is measured at. Prints p50/p95/p99 of both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import SecretStr

from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted
from contracts.topics import MESSAGE_SUBMITTED
from devstack.stack import Stack
from devstack.topics import create_topics
from servicekit.db import UnitOfWork
from servicekit.outbox import metadata as servicekit_metadata
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.testing import eventually, fresh_database


class BenchSettings(ServiceSettings):
    service_name: str = "bench"


def event() -> MessageSubmitted:
    node = CatalogNode(code="famille", label="Famille")
    return MessageSubmitted.new(
        producer="bench",
        thread_id=uuid.uuid4(),
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


async def measure(
    consumer: AIOKafkaConsumer,
    count: int,
    publish: Callable[[MessageSubmitted], Awaitable[None]],
    rate: float,
) -> tuple[float, list[float]]:
    """Offered rate and each event's latency (ms) from its ``publish`` returning to the
    consumer's hands: ``count`` events, each published at its own time, ``rate`` a second
    (an open loop: a slow publication never delays the next one, so both ways are offered
    the same pace)."""
    events = [event() for _ in range(count)]
    expected = {str(submitted.event_id) for submitted in events}
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}

    async def receive() -> None:
        while len(arrived) < count:
            record = await consumer.getone()
            event_id = dict(record.headers)["event_id"].decode()
            if event_id in expected:
                arrived.setdefault(event_id, time.perf_counter())

    async def one(submitted: MessageSubmitted) -> None:
        await publish(submitted)
        sent[str(submitted.event_id)] = time.perf_counter()

    receiver = asyncio.create_task(receive())
    started = time.perf_counter()
    publications = []
    for index, submitted in enumerate(events):
        due = started + index / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        publications.append(asyncio.create_task(one(submitted)))
    offered = count / max(time.perf_counter() - started, 1e-9) if count > 1 else rate
    await asyncio.gather(*publications)
    await asyncio.wait_for(receiver, timeout=120)
    return offered, [(arrived[key] - sent[key]) * 1000 for key in sent]


def line(label: str, rate: float, ms: list[float]) -> str:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return (
        f"  {label:<44} {rate:5.0f} events/s offered   p50 {cuts[49]:6.1f} ms   "
        f"p95 {cuts[94]:6.1f} ms   p99 {cuts[98]:6.1f} ms   max {max(ms):6.1f} ms"
    )


async def main(count: int, rate: float) -> None:
    stack = Stack()
    states = stack.up(["postgres", "kafka"])
    if any(state.status != "ready" for state in states.values()):
        raise SystemExit("the local stack did not start")
    config = stack.config
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or config.kafka_bootstrap
    postgres = os.environ.get("DEVSTACK_POSTGRES_URL") or config.postgres_admin_url
    prefix = f"bench-{secrets.token_hex(3)}."
    create_topics(kafka, prefix=prefix)
    topic = prefix + MESSAGE_SUBMITTED.name
    async with fresh_database(postgres, "bench_outbox") as url:
        settings = BenchSettings(
            environment="test",
            database_url=SecretStr(url),
            kafka_bootstrap_servers=kafka,
            kafka_topic_prefix=prefix,
        )
        runtime = ServiceRuntime(settings)
        async with runtime.engine.begin() as connection:
            await connection.run_sync(servicekit_metadata.create_all)
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka, auto_offset_reset="latest", group_id=f"{prefix}bench"
        )
        await consumer.start()

        # Measured once the consumer holds its partitions, not while it joins its group.
        async def assigned() -> bool:
            return bool(consumer.assignment())

        await eventually(assigned, timeout=60, message="the consumer got no partition")
        await consumer.seek_to_end()
        await runtime.start()

        async def through_the_outbox(submitted: MessageSubmitted) -> None:
            async with UnitOfWork(runtime.sessions, producer="bench") as uow:
                uow.publish(submitted)
                await uow.commit()

        # The baseline: the same events straight to Kafka, by a producer set as the relay's.
        producer = AIOKafkaProducer(
            bootstrap_servers=kafka, enable_idempotence=True, acks="all", linger_ms=2
        )
        await producer.start()

        async def straight_to_kafka(submitted: MessageSubmitted) -> None:
            await producer.send(
                topic,
                value=submitted.to_json(),
                key=str(submitted.thread_id).encode(),
                headers=[("event_id", str(submitted.event_id).encode())],
            )

        await measure(consumer, min(50, count), through_the_outbox, rate)  # warm-up
        outbox = await measure(consumer, count, through_the_outbox, rate)
        bare = await measure(consumer, count, straight_to_kafka, rate)
        await producer.stop()
        await runtime.stop()
        await consumer.stop()
    print(f"\n{count} events each way, {rate:g} a second, latency to a consumer's hands")
    print(line("outbox (commit → consumer)", *outbox))
    print(line("bare producer, acks=all (send → consumer)", *bare))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100, help="events a second, both ways")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.rate))
