"""Outbox publish latency: from a unit of work's commit to the event in a Kafka consumer's hands.

    uv run python libs/servicekit/bench/bench_outbox_latency.py [--events 500]

Uses the local stack's PostgreSQL and Kafka (started if needed), a database and topics of its
own, the real relay (LISTEN/NOTIFY wake-up) and a plain consumer; prints percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
import uuid
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer
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
from servicekit.testing import fresh_database


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


async def main(count: int) -> None:
    stack = Stack()
    states = stack.up(["postgres", "kafka"])
    if any(state.status != "ready" for state in states.values()):
        raise SystemExit("the local stack did not start")
    config = stack.config
    prefix = f"bench-{secrets.token_hex(3)}."
    create_topics(config.kafka_bootstrap, prefix=prefix)
    async with fresh_database(config.postgres_admin_url, "bench_outbox") as url:
        settings = BenchSettings(
            database_url=SecretStr(url),
            kafka_bootstrap_servers=config.kafka_bootstrap,
            kafka_topic_prefix=prefix,
        )
        runtime = ServiceRuntime(settings)
        async with runtime.engine.begin() as connection:
            await connection.run_sync(servicekit_metadata.create_all)
        consumer = AIOKafkaConsumer(
            prefix + MESSAGE_SUBMITTED.name,
            bootstrap_servers=config.kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=f"{prefix}bench",
        )
        await consumer.start()
        await runtime.start()
        committed: dict[str, float] = {}
        latencies: list[float] = []

        async def receive() -> None:
            while len(latencies) < count:
                record = await consumer.getone()
                headers = dict(record.headers)
                event_id = headers["event_id"].decode()
                if event_id in committed:
                    latencies.append(time.perf_counter() - committed.pop(event_id))

        receiver = asyncio.create_task(receive())
        started = time.perf_counter()
        for _ in range(count):
            submitted = event()
            async with UnitOfWork(runtime.sessions, producer="bench") as uow:
                uow.publish(submitted)
                await uow.commit()
            committed[str(submitted.event_id)] = time.perf_counter()
            await asyncio.sleep(0.005)  # a steady trickle, as member requests arrive
        await asyncio.wait_for(receiver, timeout=120)
        elapsed = time.perf_counter() - started
        await runtime.stop()
        await consumer.stop()
    ms = sorted(latency * 1000 for latency in latencies)
    print(
        f"outbox latency over {count} events (commit → consumer), {count / elapsed:.0f} events/s offered"
    )
    print(
        f"  p50 {statistics.median(ms):.1f} ms   p95 {ms[int(0.95 * len(ms)) - 1]:.1f} ms   "
        f"p99 {ms[int(0.99 * len(ms)) - 1]:.1f} ms   max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    asyncio.run(main(parser.parse_args().events))
