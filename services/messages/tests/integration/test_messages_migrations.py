"""The migrations build exactly the tables and indexes the code declares, and go back down."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from messages.adapters.orm import metadata
from servicekit.migrations import alembic_config, upgrade_async
from servicekit.outbox import metadata as servicekit_metadata
from servicekit.testing import fresh_database
from services.messages.tests.support import MIGRATIONS

pytestmark = pytest.mark.integration


async def test_migrations_match_the_tables_of_the_code_and_downgrade_cleanly(
    postgres_admin_url: str,
) -> None:
    async with fresh_database(postgres_admin_url, "messages_migrations") as url:
        await upgrade_async(url, MIGRATIONS)
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:

                def differences(sync_connection: Any) -> list[Any]:
                    context = MigrationContext.configure(
                        sync_connection, opts={"compare_type": True}
                    )
                    return list(compare_metadata(context, [metadata, servicekit_metadata]))

                assert await connection.run_sync(differences) == []
        finally:
            await engine.dispose()
        await asyncio.to_thread(command.downgrade, alembic_config(url, MIGRATIONS), "0001")
        await upgrade_async(url, MIGRATIONS)
