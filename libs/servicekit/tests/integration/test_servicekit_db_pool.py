"""The pool's liveness check: a connection idle in the pool for a while is checked before it
is handed out (a dead one is replaced, the unit of work never sees it); one just returned is
handed out at once, without the check's three round trips. A connection that dies while the
service is busy fails one unit of work as "unavailable" (a 503, a consumer's retry), and the
next one is served on a new connection. Against the real PostgreSQL, whose backends are
ended with ``pg_terminate_backend`` as a restart or a failover would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from servicekit.db import UnitOfWork, create_engine, session_factory
from servicekit.failures import is_unavailable
from servicekit.settings import ServiceSettings
from servicekit.testing import fresh_database

pytestmark = pytest.mark.integration


class KitSettings(ServiceSettings):
    service_name: str = "kit-pool"


@pytest.fixture
async def engine(postgres_admin_url: str) -> AsyncIterator[AsyncEngine]:
    async with fresh_database(postgres_admin_url, "servicekit_pool") as url:
        engine = create_engine(KitSettings(database_url=SecretStr(url), database_pool_size=1))
        try:
            yield engine
        finally:
            await engine.dispose()


async def backend_pid(engine: AsyncEngine) -> int:
    async with UnitOfWork(session_factory(engine), producer="kit") as uow:
        return int((await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(postgres_admin_url: str, pid: int) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(postgres_admin_url)
    try:
        async with admin.connect() as connection:
            ended = (
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            ).scalar_one()
            assert ended is True
    finally:
        await admin.dispose()


def counting_pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    pings: list[Any] = []
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", do_ping)
    return pings


async def test_a_connection_just_returned_is_handed_out_without_a_liveness_check(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = counting_pings(engine, monkeypatch)
    first = await backend_pid(engine)
    for _ in range(5):
        assert await backend_pid(engine) == first  # the same pooled connection
    assert pings == []


async def test_a_connection_that_died_while_idle_is_replaced_before_anyone_uses_it(
    postgres_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fresh_database(postgres_admin_url, "servicekit_pool_idle") as url:
        settings = KitSettings(
            database_url=SecretStr(url), database_pool_size=1, database_ping_after_idle_seconds=0.2
        )
        engine = create_engine(settings)
        pings = counting_pings(engine, monkeypatch)
        try:
            first = await backend_pid(engine)
            await terminate(postgres_admin_url, first)
            await asyncio.sleep(0.3)  # idle for longer than the check's threshold (0.2 s)

            second = await backend_pid(engine)  # no error: the dead connection was replaced

            assert second != first
            assert len(pings) == 1
        finally:
            await engine.dispose()


async def test_a_connection_that_died_while_busy_fails_one_unit_of_work_as_unavailable(
    engine: AsyncEngine, postgres_admin_url: str
) -> None:
    first = await backend_pid(engine)
    await terminate(postgres_admin_url, first)

    [outcome] = await asyncio.gather(backend_pid(engine), return_exceptions=True)
    assert isinstance(outcome, Exception), "a unit of work on an ended connection succeeded"
    assert is_unavailable(outcome)

    assert await backend_pid(engine) != first  # the next one is served


async def test_a_full_load_of_requests_and_workers_opens_no_connection_once_warm(
    postgres_admin_url: str,
) -> None:
    """With the default pool, a service serving as many requests as it admits while its
    consumers and workers run keeps its connections: none is closed and opened again from
    one round to the next (a PostgreSQL process forked, statements prepared again)."""
    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://unused/unused"))
    at_once = settings.max_requests_in_flight + 6  # the relay, consumers, workers
    async with fresh_database(postgres_admin_url, "servicekit_pool_load") as url:
        engine = create_engine(KitSettings(database_url=SecretStr(url)))
        opened: list[object] = []
        event.listen(engine.sync_engine, "connect", lambda connection, _: opened.append(connection))
        sessions = session_factory(engine)
        both_in = asyncio.Barrier(at_once)

        async def one_unit_of_work() -> int:
            async with UnitOfWork(sessions, producer="kit") as uow:
                await both_in.wait()  # all of them hold a connection at the same moment
                return int(
                    (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                )

        try:
            first = set(await asyncio.gather(*(one_unit_of_work() for _ in range(at_once))))
            warm = len(opened)
            for _ in range(3):
                again = set(await asyncio.gather(*(one_unit_of_work() for _ in range(at_once))))
                assert again == first
            assert len(opened) == warm == at_once
        finally:
            await engine.dispose()
