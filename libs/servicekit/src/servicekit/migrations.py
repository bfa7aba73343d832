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

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

import servicekit.consumer  # noqa: F401 - puts processed_events on servicekit's metadata
from servicekit.outbox import metadata as servicekit_metadata


def create_servicekit_tables(op: Any) -> None:
    """Create ``outbox`` and ``processed_events`` as they were first defined (version 1).

    Written out rather than taken from the current table definitions, so that a later change
    to those tables comes with its own revision in every service and a fresh database passes
    through the same steps as an old one."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("topic", sa.Text(), nullable=False, comment="Logical topic name, without prefix"),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("payload", JSONB(), nullable=True, comment="The event; NULL for a tombstone"),
        sa.Column("headers", JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index(
        "outbox_unpublished_idx", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_index(
        "outbox_unpublished_key_idx",
        "outbox",
        ["key", "id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index("outbox_published_at_idx", "outbox", ["published_at"])
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("outcome", sa.Text(), nullable=False, server_default="done"),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def drop_servicekit_tables(op: Any) -> None:
    op.drop_table("processed_events")
    op.drop_table("outbox")


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
