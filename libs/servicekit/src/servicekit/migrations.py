"""Alembic, the same way in every service.

Each service's ``migrations/env.py`` is two lines::

    from servicekit.migrations import run_alembic_env
    run_alembic_env(metadata)

and its first revision calls ``create_servicekit_tables(op)`` for the outbox and the
processed-events tables. ``upgrade(url, script_location)`` runs the migrations from code
(the service's ``migrate`` command, the tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from servicekit.consumer import PROCESSED_EVENTS
from servicekit.outbox import OUTBOX
from servicekit.outbox import metadata as servicekit_metadata


def create_servicekit_tables(op: Any) -> None:
    """Create ``outbox`` and ``processed_events`` as servicekit defines them today.

    A later change to these tables comes with its own revision in every service."""
    servicekit_metadata.create_all(op.get_bind(), tables=[OUTBOX, PROCESSED_EVENTS])


def drop_servicekit_tables(op: Any) -> None:
    servicekit_metadata.drop_all(op.get_bind(), tables=[OUTBOX, PROCESSED_EVENTS])


def alembic_config(database_url: str, script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(database_url: str, script_location: Path, revision: str = "head") -> None:
    """Bring the database to ``revision``. Blocking: call it from a thread in async code."""
    command.upgrade(alembic_config(database_url, script_location), revision)


async def upgrade_async(database_url: str, script_location: Path, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, script_location, revision)


def run_alembic_env(target_metadata: MetaData | Sequence[MetaData]) -> None:
    """Body of every service's ``env.py``: online migrations over the async engine."""
    from alembic import context

    metadatas = (
        [target_metadata] if isinstance(target_metadata, MetaData) else list(target_metadata)
    )
    metadatas.append(servicekit_metadata)
    config = context.config

    def run(connection: Connection | None = None) -> None:
        context.configure(
            connection=connection,
            url=None if connection is not None else config.get_main_option("sqlalchemy.url"),
            target_metadata=metadatas,
            compare_type=True,
            literal_binds=connection is None,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        run()
        return

    async def online() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(online())
