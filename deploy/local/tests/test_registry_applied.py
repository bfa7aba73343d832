"""``make run`` publishes the registry of covered people again only when the auth service has
not applied every one of them: once it has, publishing them again would change nothing."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from devstack.registry import applied, everyone
from servicekit.migrations import upgrade_async
from servicekit.testing import asyncpg_dsn, fresh_database

pytestmark = pytest.mark.integration

AUTH_MIGRATIONS = Path(__file__).parents[3] / "services" / "auth" / "src" / "auth" / "migrations"


async def test_published_again_until_the_service_applied_everyone(
    postgres_admin_url: str,
) -> None:
    people = everyone()
    async with fresh_database(postgres_admin_url, "registry_applied") as url:
        assert not await applied(url, people), "a database without the service's tables"
        await upgrade_async(url, AUTH_MIGRATIONS)
        assert not await applied(url, people), "a new database"

        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            rows = [("registry", person.event_id) for person in people]
            await connection.executemany(
                "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)", rows[1:]
            )
            assert not await applied(url, people), "one person still to apply"
            await connection.execute(
                "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)", *rows[0]
            )
        finally:
            await connection.close()
        assert await applied(url, people)
