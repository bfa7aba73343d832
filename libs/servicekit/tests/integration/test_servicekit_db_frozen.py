"""A frozen database (a hung host, packets dropped): the connections stay open and nothing
answers. Every unit of work gives up within the pool timeout, however its time would have
been spent (pool wait, liveness check, new connection, the transaction's BEGIN), a later
statement within its own timeout, and the next one after the database answers again is
served. Through a relay in front of the real PostgreSQL that
stops passing bytes on demand (``make chaos`` freezes the server itself with SIGSTOP)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from servicekit.db import UnitOfWork, create_engine, session_factory
from servicekit.failures import is_unavailable
from servicekit.settings import ServiceSettings
from servicekit.testing import fresh_database

pytestmark = pytest.mark.integration

POOL_TIMEOUT = 2.0


class FreezableRelay:
    """TCP relay to PostgreSQL; ``frozen`` holds every byte either way until thawed."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.thawed = asyncio.Event()
        self.thawed.set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while True:
                await self.thawed.wait()
                data = await source.read(65536)
                await self.thawed.wait()
                if not data:
                    break
                sink.write(data)
                await sink.drain()
        sink.close()

    async def stop(self) -> None:
        self.thawed.set()
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class KitSettings(ServiceSettings):
    service_name: str = "kit"


@pytest.fixture
async def relay(postgres_admin_url: str) -> AsyncIterator[tuple[FreezableRelay, str]]:
    async with fresh_database(postgres_admin_url, "servicekit_frozen") as url:
        real = make_url(url)
        relay = FreezableRelay(real.host or "127.0.0.1", real.port or 5432)
        port = await relay.start()
        try:
            yield relay, real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        finally:
            await relay.stop()


async def one_unit_of_work(uow: UnitOfWork) -> float:
    started = time.monotonic()
    async with uow:
        await uow.session.execute(text("SELECT 1"))
    return time.monotonic() - started


async def test_a_frozen_database_fails_every_unit_of_work_within_the_pool_timeout(
    relay: tuple[FreezableRelay, str],
) -> None:
    freezable, url = relay
    settings = KitSettings(
        database_url=SecretStr(url),
        database_pool_size=2,
        database_pool_timeout_seconds=POOL_TIMEOUT,
        database_connect_timeout_seconds=POOL_TIMEOUT,
        database_statement_timeout_seconds=POOL_TIMEOUT,
    )
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        # connections in the pool, as in a service that has been serving
        await asyncio.gather(
            *(one_unit_of_work(UnitOfWork(sessions, producer="kit")) for _ in range(4))
        )

        freezable.thawed.clear()
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(one_unit_of_work(UnitOfWork(sessions, producer="kit")) for _ in range(8)),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started

        assert all(isinstance(o, BaseException) and is_unavailable(o) for o in outcomes), outcomes
        # before: pool wait, then the liveness check, then a new connection, one after the
        # other (6 s and more here); then a BEGIN waiting for the driver's timeout and its
        # cancellation (twice the pool timeout)
        assert elapsed < POOL_TIMEOUT + 1.0

        freezable.thawed.set()
        deadline = time.monotonic() + 15
        while True:
            try:
                await one_unit_of_work(UnitOfWork(sessions, producer="kit"))
                break
            except Exception as error:
                failure: Exception = error
            assert is_unavailable(failure)
            assert time.monotonic() < deadline, "still failing 15 s after the thaw"
            await asyncio.sleep(0.2)
    finally:
        freezable.thawed.set()
        await engine.dispose()


def small_timeouts(url: str) -> KitSettings:
    return KitSettings(
        database_url=SecretStr(url),
        database_pool_size=2,
        database_pool_timeout_seconds=POOL_TIMEOUT,
        database_connect_timeout_seconds=POOL_TIMEOUT,
        database_statement_timeout_seconds=POOL_TIMEOUT,
    )


async def test_a_statement_caught_by_the_freeze_is_not_followed_by_a_rollback_waiting_as_long(
    relay: tuple[FreezableRelay, str],
) -> None:
    freezable, url = relay
    engine = create_engine(small_timeouts(url))
    sessions = session_factory(engine)
    failed_at = left_at = 0.0
    error: BaseException | None = None
    try:
        try:
            async with UnitOfWork(sessions, producer="kit") as uow:
                freezable.thawed.clear()
                try:
                    await uow.session.execute(text("SELECT 1"))
                finally:
                    failed_at = time.monotonic()
        except Exception as raised:
            left_at, error = time.monotonic(), raised

        assert error is not None
        assert is_unavailable(error)
        # the statement failed on its own timeout; leaving the unit of work dropped the
        # connection at once instead of sending a ROLLBACK and waiting as long again
        assert left_at - failed_at < 0.5
    finally:
        freezable.thawed.set()
        await engine.dispose()


async def test_work_that_is_not_the_databases_is_not_cut_short(
    relay: tuple[FreezableRelay, str],
) -> None:
    _, url = relay
    engine = create_engine(small_timeouts(url))
    try:
        async with UnitOfWork(session_factory(engine), producer="kit") as uow:
            await asyncio.sleep(POOL_TIMEOUT + 0.5)  # hashing a password on a busy machine
            assert (await uow.session.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def failure_of(work: Awaitable[object]) -> BaseException:
    try:
        await work
    except Exception as error:
        return error
    raise AssertionError("the database work did not fail")


async def frozen_statement(uow: UnitOfWork, relay: FreezableRelay) -> None:
    async with uow:
        relay.thawed.clear()
        await uow.session.execute(text("SELECT 1"))


async def test_a_requests_units_of_work_share_one_deadline(
    relay: tuple[FreezableRelay, str],
) -> None:
    """A request that opens two units of work in a row (the catalog's read, then the
    thread's write) gets the request's database time in all, not that time for each: the
    first spends it on the frozen database, the second fails at once."""
    from servicekit.deadlines import request_database_time

    freezable, url = relay
    engine = create_engine(small_timeouts(url))
    sessions = session_factory(engine)
    try:
        await one_unit_of_work(UnitOfWork(sessions, producer="kit"))  # a pooled connection
        freezable.thawed.clear()
        with request_database_time(POOL_TIMEOUT):
            first = await failure_of(one_unit_of_work(UnitOfWork(sessions, producer="kit")))
            assert is_unavailable(first)
            second = await failure_of(one_unit_of_work(UnitOfWork(sessions, producer="kit")))
        assert isinstance(second, TimeoutError)
        assert "the request's time for the database" in str(second)
    finally:
        freezable.thawed.set()
        await engine.dispose()


async def test_a_statement_within_a_request_gets_what_is_left_of_its_time(
    relay: tuple[FreezableRelay, str],
) -> None:
    """The connection was had in time; the statement caught by the freeze then waits only
    for what is left of the request's database time, not for a whole statement timeout
    (60 s here: the test gives up long before)."""
    from servicekit.deadlines import request_database_time

    freezable, url = relay
    engine = create_engine(
        small_timeouts(url).model_copy(update={"database_statement_timeout_seconds": 60.0})
    )
    sessions = session_factory(engine)
    try:
        # in the request's own task, as a route runs (``wait_for`` would start another)
        async with asyncio.timeout(POOL_TIMEOUT * 5):
            with request_database_time(POOL_TIMEOUT):
                failure = await failure_of(
                    frozen_statement(UnitOfWork(sessions, producer="kit"), freezable)
                )
        assert is_unavailable(failure)
    finally:
        freezable.thawed.set()
        await engine.dispose()


async def test_a_request_whose_connection_was_just_used_gets_its_answer_in_its_time(
    relay: tuple[FreezableRelay, str],
) -> None:
    """No liveness check for a connection just returned to the pool: the freeze catches the
    transaction's BEGIN, which the unit of work's deadline bounds like the rest of its
    connection (the driver's own timeout, then its cancellation, took twice as long)."""
    from servicekit.deadlines import request_database_time

    freezable, url = relay
    engine = create_engine(small_timeouts(url))
    sessions = session_factory(engine)
    try:
        await one_unit_of_work(UnitOfWork(sessions, producer="kit"))  # just used
        freezable.thawed.clear()
        started = time.monotonic()
        with request_database_time(POOL_TIMEOUT):
            failure = await failure_of(one_unit_of_work(UnitOfWork(sessions, producer="kit")))
        assert is_unavailable(failure)
        assert time.monotonic() - started < POOL_TIMEOUT + 0.5
    finally:
        freezable.thawed.set()
        await engine.dispose()
