"""Kafka topics of the stack, straight from ``contracts``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

from contracts import ALL_TOPICS
from devstack.parts_util import run_async
from servicekit.kafka import ensure_topics


def cluster_answers(bootstrap: str) -> bool:
    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await asyncio.wait_for(admin.start(), 3)
            await asyncio.wait_for(admin.list_topics(), 3)
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    return bool(run_async(probe()))


#: Topics a test session makes: its prefix (``<owner>-<8 hex digits>.``) then a contract topic.
TEST_TOPIC = re.compile(r"^[a-z][a-z0-9-]*-[0-9a-f]{8}\.(?P<topic>.+)$")


def delete_topics(bootstrap: str, *, prefixes: Iterable[str] | None = None) -> list[str]:
    """Delete the topics test sessions made: those under ``prefixes``, or every one that
    looks like a test session's when no prefix is given. Returns what was deleted."""
    contract_names = {topic.name for topic in ALL_TOPICS}
    wanted = tuple(prefixes) if prefixes is not None else None

    async def delete() -> list[str]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        await admin.start()
        try:
            doomed = [
                name
                for name in await admin.list_topics()
                if (match := TEST_TOPIC.match(name))
                and match.group("topic") in contract_names
                and (wanted is None or name.startswith(wanted))
            ]
            if doomed:
                await admin.delete_topics(doomed)
            return sorted(doomed)
        finally:
            await admin.close()

    return run_async(delete())


def create_topics(bootstrap: str, *, prefix: str = "") -> list[str]:
    """Create every topic declared in contracts that is missing; returns those created."""
    created = run_async(ensure_topics(bootstrap, ALL_TOPICS, prefix=prefix))
    assert isinstance(created, list)
    return created
