"""A consumer killed and started again under its instance name takes its partitions back at
once (static membership), against the real broker: it does not wait for the dead process's
session to expire, which a new member must (here 45 s, three times the test's wait)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from servicekit.kafka import client_options, group_instance_id
from servicekit.settings import ServiceSettings

pytestmark = pytest.mark.integration

#: Far longer than the test waits for the restarted consumer's partitions.
SESSION_TIMEOUT_MS = 45_000

#: The killed process: joins the group, says when its partition is assigned, then waits.
MEMBER = textwrap.dedent(
    """
    import asyncio, json, sys
    from aiokafka import AIOKafkaConsumer

    async def main(topic, options):
        consumer = AIOKafkaConsumer(topic, **options)
        await consumer.start()
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        print("assigned", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))
    """
)


def member_options(settings: ServiceSettings, group: str) -> dict[str, object]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "group_id": group,
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "session_timeout_ms": SESSION_TIMEOUT_MS,
        "heartbeat_interval_ms": 1000,
        **client_options(settings),
        "group_instance_id": group_instance_id(settings),
    }


async def test_a_consumer_killed_and_started_again_under_its_name_takes_its_partition_back(
    kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    settings = ServiceSettings(
        environment="test",
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_group_instance_id="notifier-0",
    )
    topic = f"{kafka_topic_prefix}membership-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    group = f"{kafka_topic_prefix}membership-{uuid.uuid4().hex[:8]}"
    options = member_options(settings, group)
    assert options["group_instance_id"] == "notifier-0"

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        MEMBER,
        topic,
        json.dumps(options),
        stdout=asyncio.subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.strip() == b"assigned", line
    finally:
        process.send_signal(signal.SIGKILL)  # no LeaveGroup: the group still counts it
        await process.wait()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"after the restart", key=b"k")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(topic, **options)  # type: ignore[arg-type]

    async def restarted() -> bytes | None:
        await consumer.start()
        return (await consumer.getone()).value

    try:
        # Within a third of the dead member's session: only static membership does that.
        value = await asyncio.wait_for(restarted(), SESSION_TIMEOUT_MS / 3000)
        assert value == b"after the restart"
    finally:
        await consumer.stop()
