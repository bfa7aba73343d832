"""A service starts and stops cleanly even when Kafka and its database do not answer."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from contracts.topics import MESSAGE_SUBMITTED
from servicekit.db import UnitOfWork
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter, free_port

pytestmark = pytest.mark.unit


class KitSettings(ServiceSettings):
    service_name: str = "kit"


async def test_start_and_stop_with_nothing_reachable() -> None:
    nowhere = free_port()
    settings = KitSettings(
        database_url=SecretStr(f"postgresql+asyncpg://kit:kit@127.0.0.1:{nowhere}/kit"),
        kafka_bootstrap_servers=f"127.0.0.1:{nowhere}",
        outbox_poll_interval_seconds=0.1,
    )
    from servicekit.security import StaticKeySet

    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))

    async def ignore(_event: object, _uow: UnitOfWork) -> None:
        return None

    runtime.add_consumer(
        "effects",
        MESSAGE_SUBMITTED,
        ignore,
        unit_of_work=lambda: UnitOfWork(runtime.sessions, producer="kit"),
    )
    await runtime.start()
    checks = await runtime.readiness()
    assert checks["database"].startswith("unavailable")
    assert checks["kafka"].startswith("unavailable")
    assert checks["consumers"] == "starting"
    # The outbox relay and the consumers keep retrying in the background; stopping them
    # must not wait for a broker that never answers.
    async with asyncio.timeout(30):
        await runtime.stop(timeout=5)
