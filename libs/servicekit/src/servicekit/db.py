"""The database engine and the unit of work: the only place that commits.

A service's unit of work subclasses ``UnitOfWork`` to add its repositories. Events published
inside it become outbox rows in the same transaction, so a domain change and the events it
announces are committed together or not at all.

A unit of work gets its connection within the pool timeout (5 s) altogether: the wait for
a pooled connection, its liveness check (and that check's ROLLBACK), a new connection. Each
has its own timeout, but one after the other they added up: with the database frozen (a
hung host, packets dropped) a request was answered 503 only after 9 s or more. Past the
deadline the connection is let go without a round trip and ``TimeoutError`` is raised,
which ``servicekit.failures.is_unavailable`` counts as the database being away (a 503, a
consumer retrying). A statement then has its own timeout (5 s); one that failed because the
database is away is not followed by a ROLLBACK that would wait on it again: the connection
is dropped. Within an HTTP request, both are bounded by what is left of the request's
database time (``servicekit.deadlines``), however many units of work it opens. Work that
is not the database's (hashing a password) is not bounded here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import BindParameter, Table, bindparam, event, func, literal, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import ColumnElement, Executable
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.visitors import cloned_traverse

from contracts import Event, TopicSpec, topic_for
from servicekit.deadlines import bound_statements, counted, request_time_left
from servicekit.failures import is_unavailable
from servicekit.outbox import OUTBOX, OUTBOX_CHANNEL, outbox_row
from servicekit.settings import ServiceSettings


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        # The most recently returned connection is handed out first: under a light load a few
        # connections stay busy (no liveness check needed) and the others idle out.
        pool_use_lifo=True,
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
    # Within a request, a statement gets no more than what is left of the request's time.
    bound_statements(engine, settings.database_statement_timeout_seconds)
    ping_when_idle(engine, settings.database_ping_after_idle_seconds)
    return engine


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """A connection is checked for life (three round trips with asyncpg: BEGIN, ``;``,
    ROLLBACK) only when it has been idle in the pool for ``idle_seconds``, not at every
    checkout as ``pool_pre_ping`` does: on a busy service that check was most of the round
    trips of a unit of work. A connection that died while in use (the database restarted
    under load) fails its statement instead: the request is answered 503, and SQLAlchemy,
    seeing a disconnection, lets go of every connection the pool held before it."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_seconds:
            return  # a new connection, or one just used
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            if dialect.is_disconnect(error, dbapi_connection, None):  # type: ignore[arg-type]
                raise DisconnectionError("the pooled connection is closed") from error
            raise
        if alive is False:
            raise DisconnectionError("the pooled connection is closed")


_RETURNED_AT = "servicekit_returned_at"


#: In a session's ``info``: the seconds one unit of work may wait on the database altogether.
WORK_TIMEOUT = "work_timeout_seconds"


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; their units of work get the engine's pool timeout in all."""
    pool_timeout = getattr(engine.pool, "timeout", None)
    budget = pool_timeout() if callable(pool_timeout) else None
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=True, info={WORK_TIMEOUT: budget}
    )


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain ``postgresql://`` DSN, for a raw asyncpg connection."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _Deadline:
    """Past ``seconds``, the task is cancelled, and again every 50 ms until ``disarm``: a
    single cancellation is not enough, as the driver's clean-up after it (the liveness
    check's ROLLBACK, a graceful close) waits on the frozen database in turn."""

    def __init__(self, seconds: float) -> None:
        self.task = asyncio.current_task()
        self.loop = asyncio.get_running_loop()
        self.fired = 0
        self.withdrawn = False
        self.handle: asyncio.TimerHandle | None = self.loop.call_later(seconds, self._fire)

    def _fire(self) -> None:
        if self.task is None or self.task.done():
            return
        self.fired += 1
        self.task.cancel()
        self.handle = self.loop.call_later(0.05, self._fire)

    def disarm(self) -> bool:
        """Stop cancelling; whether the deadline passed (its cancellations are withdrawn)."""
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None
        if self.task is not None and not self.withdrawn:
            self.withdrawn = True
            for _ in range(self.fired):
                self.task.uncancel()
        return self.fired > 0


class _BeginFailed(ConnectionError):
    """The connection could not begin a transaction (the server closed it): it is let go,
    and the unit of work counts as the database being away."""


async def _begin(connection: AsyncConnection) -> None:
    """Send the transaction's BEGIN now, within the unit of work's deadline, rather than
    with its first statement. The same round trip either way, but a BEGIN caught by a
    frozen database was bounded only by the driver's statement timeout, after which the
    driver waits again to cancel it on a new connection: a request then took its whole
    database time twice (6.5 s under ``make chaos`` against a 5 s bound). SQLAlchemy's
    asyncpg adapter begins lazily; ``_start_transaction`` is what its first statement
    calls (SQLAlchemy is pinned)."""
    adapted = (await connection.get_raw_connection()).dbapi_connection
    start = getattr(adapted, "_start_transaction", None)
    mutex = getattr(adapted, "_execute_mutex", None)
    if start is None or mutex is None:
        return
    try:
        async with mutex:
            if getattr(adapted, "_transaction", None) is None:
                await start()
    except Exception as error:
        raise _BeginFailed(f"the transaction could not begin: {error!r}") from error


#: A write and, for a prepared one (``Prepared``), the values of its parameters.
Write = tuple[UpdateBase, dict[str, Any] | None]


class Prepared:
    """A write built once with named parameters, given its values at each use.

    Building an insert's ``values()`` and the cache key of the statement it goes in costs
    more than the rest of a request's SQL work; a prepared write skips both: it is the same
    statement object every time (its cache key is computed once), and a commit made of
    prepared writes is one statement composed once for its shape (``together``). The
    parameters are named ``<prefix><column>``, so that the writes of one commit do not
    share a name."""

    def __init__(self, statement: UpdateBase, prefix: str) -> None:
        self.statement = statement
        self.prefix = prefix

    @classmethod
    def insert(
        cls,
        table: Table,
        prefix: str,
        *,
        columns: Sequence[str] | None = None,
        expressions: Mapping[str, ColumnElement[Any]] | None = None,
    ) -> Prepared:
        """An insert into ``table`` of ``columns`` (all of them by default) taken as
        parameters, and of ``expressions`` (built on ``named(prefix, ...)`` parameters)."""
        names = [
            column.name
            for column in table.columns
            if (columns is None or column.name in columns)
            and column.name not in (expressions or {})
        ]
        values: dict[str, Any] = {name: named(prefix, name, table.c[name].type) for name in names}
        return cls(table.insert().values({**values, **(expressions or {})}), prefix)

    def bind(self, values: Mapping[str, Any]) -> Write:
        """This write with ``values`` (by column or ``parameter`` name, without prefix)."""
        return self.statement, {self.prefix + name: value for name, value in values.items()}


def named(prefix: str, name: str, type_: Any = None) -> BindParameter[Any]:
    """A parameter of the prepared write of ``prefix``, given as ``name`` to its ``bind``."""
    return bindparam(prefix + name, type_=type_)


class Writes:
    """Writes that need no answer, sent in one statement with the commit.

    A repository hands its inserts and updates here instead of executing them one round trip
    each; ``UnitOfWork.commit`` sends them, the outbox rows and the NOTIFYs as one statement
    (data-modifying CTEs), then COMMIT. A write here must not be read back before the
    commit, and the statements of one commit must not change the same row twice (they all
    see the snapshot the statement starts with). Outside a unit of work
    (``deferred=False``) each write is executed at once."""

    def __init__(self, session: AsyncSession, *, deferred: bool = True) -> None:
        self.session = session
        self.deferred = deferred
        self.pending: list[Write] = []

    async def add(self, statement: UpdateBase | Write) -> None:
        """A statement, or a prepared write with its values (``Prepared.bind``)."""
        write: Write = statement if isinstance(statement, tuple) else (statement, None)
        if self.deferred:
            self.pending.append(write)
        else:
            await self.session.execute(*_executable(write))

    def take(self) -> list[Write]:
        pending, self.pending = self.pending, []
        return pending


def _executable(write: Write) -> tuple[Executable, dict[str, Any]] | tuple[Executable]:
    statement, parameters = write
    return (statement, parameters) if parameters is not None else (statement,)


#: Statements composed by ``together`` from prepared writes, by shape: the identities of
#: their statements, in order, and the channels signalled. A service has a handful.
_COMPOSED: dict[
    tuple[tuple[int, ...], tuple[str, ...]], tuple[tuple[UpdateBase, ...], Executable]
] = {}
_COMPOSED_KEPT = 256


def together(
    writes: Sequence[Write], notify: Sequence[str] = ()
) -> tuple[Executable, dict[str, Any]]:
    """One statement doing ``writes`` and signalling the ``notify`` channels (delivered to
    their listeners when, and only if, the transaction commits), with its parameters.

    Made of prepared writes only, each once, the statement is composed once for its shape
    and reused (its cache key computed once): the usual commit of a request. A prepared
    write used twice has its values bound into its second use (whose parameters would
    otherwise share the first one's names): that commit's statement is composed anew."""
    kept: list[Write] = []
    seen: set[int] = set()
    for statement, values in writes:
        if values is not None and id(statement) in seen:
            kept.append((_bound(statement, values), None))
            continue
        if values is not None:
            seen.add(id(statement))
        kept.append((statement, values))
    parameters: dict[str, Any] = {}
    for _, given in kept:
        parameters.update(given or {})
    if len(kept) == 1 and not notify:
        return kept[0][0], parameters
    statements = tuple(statement for statement, _ in kept)
    prepared = all(values is not None for _, values in kept)
    shape = (tuple(map(id, statements)), tuple(notify))
    if prepared:
        cached = _COMPOSED.get(shape)
        if cached is not None and all(a is b for a, b in zip(cached[0], statements, strict=True)):
            return cached[1], parameters
    signals: list[ColumnElement[Any]] = [func.pg_notify(channel, "") for channel in notify]
    composed = select(*(signals or [literal(1)]))
    for index, statement in enumerate(statements):
        composed = composed.add_cte(statement.cte(f"write_{index}"))
    if prepared:
        if len(_COMPOSED) >= _COMPOSED_KEPT:
            _COMPOSED.clear()
        _COMPOSED[shape] = (statements, composed)
    return composed, parameters


def _bound(statement: UpdateBase, values: Mapping[str, Any]) -> UpdateBase:
    """A copy of a prepared write with ``values`` in its parameters, each made unique (as
    ``ClauseElement.params`` does for a query)."""

    def visit_bindparam(bind: BindParameter[Any]) -> None:
        if bind.key in values:
            bind.value = values[bind.key]
            bind.required = False
        bind._convert_to_unique()  # type: ignore[no-untyped-call]

    return cloned_traverse(statement, {"maintain_key": True}, {"bindparam": visit_bindparam})


#: An outbox row (``outbox_row``'s columns), as a prepared write.
_OUTBOX_ROW = Prepared.insert(
    OUTBOX, "outbox_", columns=("event_id", "topic", "key", "event_type", "payload", "headers")
)


#: A connection whose each statement is a transaction of its own (``one_statement``): for
#: asyncpg, a flag of SQLAlchemy's adapter (no BEGIN), reset when the pool takes it back.
_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


class UnitOfWork:
    """One transaction: ``async with uow: ...; await uow.commit()``. Leaving without commit rolls back."""

    session: AsyncSession
    writes: Writes

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, producer: str) -> None:
        self._sessions = sessions
        self.producer = producer
        self._staged: list[dict[str, Any]] = []
        self._notify: list[str] = []
        self._one_statement = False

    def one_statement(self) -> Self:
        """This unit of work is one statement: PostgreSQL makes it a transaction of its own
        and commits it as it ends, so that neither BEGIN nor COMMIT is sent (two round trips
        of three). For a claim or an outcome written by a single ``UPDATE``, whose rows it
        changes all or none of; not for two statements that must hold together, which would
        each commit on their own. Deferred writes, outbox rows and NOTIFYs go in the
        commit's one statement as usual (with nothing executed before it)."""
        self._one_statement = True
        return self

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.writes = Writes(self.session)
        self._staged = []
        self._notify = []
        budget = self.session.info.get(WORK_TIMEOUT)
        left = request_time_left()
        if left is not None:  # within a request: what is left of its database time
            if left <= 0:
                await self.session.close()
                raise TimeoutError("the request's time for the database is spent")
            budget = min(budget, left) if budget else left
        if budget:
            deadline = _Deadline(budget)
            try:
                with counted():  # a request's database time
                    await self._start()
            except BaseException as error:
                # Whatever it held (a connection half-way through its BEGIN when the task was
                # cancelled, one that failed or timed out) is let go, not left to the garbage
                # collector: the context manager's exit never runs after a failed entry.
                await self._drop()
                if deadline.disarm():
                    raise TimeoutError("no database connection in time") from error
                raise
            finally:
                deadline.disarm()
        elif self._one_statement:
            try:
                await self._start()
            except BaseException:
                await self._drop()
                raise
        self.on_enter()
        return self

    async def _start(self) -> None:
        """The connection checked out, and the transaction's BEGIN sent; for a unit of work
        of one statement, no BEGIN: PostgreSQL makes that statement its own transaction."""
        if self._one_statement:
            await self.session.connection(execution_options=_AUTOCOMMIT)
        else:
            await _begin(await self.session.connection())

    def on_enter(self) -> None:
        """Subclasses build their repositories on ``self.session`` here."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._staged = []
        self._notify = []
        self.writes.take()
        if exc is not None and is_unavailable(exc):
            await self._drop()
            return
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def _drop(self) -> None:
        """The database did not answer: let go of the connection without waiting for it."""
        deadline = _Deadline(0.05)  # the driver's graceful close gives way to a forced one
        try:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self.session.invalidate()
        finally:
            deadline.disarm()

    def publish(self, event: Event, *, topic: TopicSpec | None = None) -> None:
        """Publish ``event`` when, and only if, this unit of work commits."""
        spec = topic or topic_for(type(event))
        self._staged.append(outbox_row(spec, key=spec.key_for(event), event=event))

    def publish_tombstone(self, topic: TopicSpec, key: str) -> None:
        """Publish "this aggregate is gone" on a compacted topic: the key with no value."""
        if not topic.tombstones:
            raise ValueError(f"{topic.name} does not take tombstones")
        self._staged.append(outbox_row(topic, key=key, event=None))

    def notify_on_commit(self, channel: str) -> None:
        """Signal ``channel``'s listeners if, and once, this unit of work commits."""
        if channel not in self._notify:
            self._notify.append(channel)

    async def commit(self) -> None:
        """The deferred writes, the outbox rows and the NOTIFYs in one statement, then COMMIT."""
        writes = self.writes.take()
        if self._staged:
            # One row, the usual case, as a prepared write. Several as one multi-row
            # insert: it has no cache key, and is compiled again at every commit.
            if len(self._staged) == 1:
                writes.append(_OUTBOX_ROW.bind(self._staged[0]))
            else:
                writes.append((OUTBOX.insert().values(self._staged), None))
            # Delivered to the relay's LISTEN only when the transaction commits.
            self.notify_on_commit(OUTBOX_CHANNEL)
            self._staged = []
        notify, self._notify = self._notify, []
        if writes or notify:
            await self.session.execute(*together(writes, notify))
        await self.session.commit()

    async def rollback(self) -> None:
        self._staged = []
        self._notify = []
        self.writes.take()
        await self.session.rollback()
