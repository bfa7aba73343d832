"""Kafka topics of the stack, straight from ``contracts``."""

from __future__ import annotations

import asyncio

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


def create_topics(bootstrap: str, *, prefix: str = "") -> list[str]:
    """Create every topic declared in contracts that is missing; returns those created."""
    created = run_async(ensure_topics(bootstrap, ALL_TOPICS, prefix=prefix))
    assert isinstance(created, list)
    return created
