"""The database engine and the unit of work: the only place that commits.

A service's unit of work subclasses ``UnitOfWork`` to add its repositories. Events published
inside it become outbox rows in the same transaction, so a domain change and the events it
announces are committed together or not at all.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from contracts import Event, TopicSpec, topic_for
from servicekit.outbox import OUTBOX, OUTBOX_CHANNEL, outbox_row
from servicekit.settings import ServiceSettings


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=settings.database_pool_timeout_seconds,
        # Errors name the statement, never its values (a password hash, a message's text).
        hide_parameters=True,
        connect_args={
            "server_settings": {"application_name": settings.service_name},
            "timeout": settings.database_connect_timeout_seconds,
            "command_timeout": settings.database_statement_timeout_seconds,
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain ``postgresql://`` DSN, for a raw asyncpg connection."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class UnitOfWork:
    """One transaction: ``async with uow: ...; await uow.commit()``. Leaving without commit rolls back."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, producer: str) -> None:
        self._sessions = sessions
        self.producer = producer
        self._staged: list[dict[str, Any]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._staged = []
        self.on_enter()
        return self

    def on_enter(self) -> None:
        """Subclasses build their repositories on ``self.session`` here."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
            self._staged = []

    def publish(self, event: Event, *, topic: TopicSpec | None = None) -> None:
        """Publish ``event`` when, and only if, this unit of work commits."""
        spec = topic or topic_for(type(event))
        self._staged.append(outbox_row(spec, key=spec.key_for(event), event=event))

    def publish_tombstone(self, topic: TopicSpec, key: str) -> None:
        """Publish "this aggregate is gone" on a compacted topic: the key with no value."""
        if not topic.tombstones:
            raise ValueError(f"{topic.name} does not take tombstones")
        self._staged.append(outbox_row(topic, key=key, event=None))

    async def commit(self) -> None:
        if self._staged:
            await self.session.execute(OUTBOX.insert(), self._staged)
            # Delivered to the relay's LISTEN only when the transaction commits.
            await self.session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))
            self._staged = []
        await self.session.commit()

    async def rollback(self) -> None:
        self._staged = []
        await self.session.rollback()
