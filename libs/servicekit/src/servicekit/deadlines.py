"""One budget for all the database waits of an HTTP request.

A unit of work gets its connection within the pool timeout, and each statement has its own
timeout; one after the other they added up: a request with two units of work (the
catalog's read, then the thread's write) was answered after 10.9 s with the database
frozen. Within a request (``request_database_time``, opened by the HTTP middleware), the
time spent waiting on the database (a connection, a statement) is counted, and every
connection wait and every statement gets at most what is left of the request's database
time (``<SERVICE>_DATABASE_REQUEST_TIMEOUT_SECONDS``): the request is answered ``503``
within that time however many units of work it opens. Work that is not the database's
(hashing a password, rendering a PDF) is not counted: a busy machine does not turn a login
into a ``503``.

The budget belongs to the request's task: a task it starts does not inherit it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class _Budget:
    task: asyncio.Task[Any] | None
    left: float


_REQUEST_BUDGET: ContextVar[_Budget | None] = ContextVar("request_database_time", default=None)

#: In a connection's ``info``: when its current statement started (``time.monotonic()``).
_STARTED = "statement_started"


@contextlib.contextmanager
def request_database_time(seconds: float) -> Iterator[None]:
    """The database waits in this block (the current task's) add up to ``seconds`` at most."""
    token = _REQUEST_BUDGET.set(_Budget(asyncio.current_task(), seconds))
    try:
        yield
    finally:
        _REQUEST_BUDGET.reset(token)


def _budget() -> _Budget | None:
    budget = _REQUEST_BUDGET.get()
    if budget is None:
        return None
    try:
        current = asyncio.current_task()
    except RuntimeError:
        return None
    # A task started by the request has no part in the request's time.
    return budget if budget.task is current else None


def request_time_left() -> float | None:
    """Seconds left of the current request's database time; None outside a request."""
    budget = _budget()
    return None if budget is None else budget.left


@contextlib.contextmanager
def counted() -> Iterator[None]:
    """Count the time of this block as the request's database time."""
    started = time.monotonic()
    try:
        yield
    finally:
        budget = _budget()
        if budget is not None:
            budget.left -= time.monotonic() - started


def statement_timeout(default: float) -> float:
    """How long the next statement may run: ``default``, or less within a request."""
    left = request_time_left()
    return default if left is None else max(0.0, min(default, left))


def bound_statements(engine: AsyncEngine, default: float) -> None:
    """Give each statement of ``engine`` at most ``statement_timeout(default)`` and count
    its time; a connection goes back to the pool with ``default`` again.

    asyncpg reads its command timeout from the connection's configuration for every
    statement, COMMIT and ROLLBACK included (a timeout of 0 fails at once, sending
    nothing); SQLAlchemy's adapter passes none of its own, so the configuration is where a
    per-statement bound can be set."""

    def before(conn: Any, *_args: Any) -> None:
        conn.info[_STARTED] = time.monotonic()
        _set_command_timeout(conn.connection, statement_timeout(default))

    def after(conn: Any, *_args: Any) -> None:
        _count_statement(conn.info)

    def failed(context: Any) -> None:
        if context.connection is not None:
            _count_statement(context.connection.info)

    def checked_in(dbapi_connection: Any, _record: Any) -> None:
        _set_command_timeout(dbapi_connection, default)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    event.listen(engine.sync_engine, "handle_error", failed)
    event.listen(engine.sync_engine.pool, "checkin", checked_in)


def _count_statement(info: dict[str, Any]) -> None:
    started = info.pop(_STARTED, None)
    budget = _budget()
    if started is not None and budget is not None:
        budget.left -= time.monotonic() - started


def _set_command_timeout(adapted: Any, timeout: float) -> None:
    driver = getattr(adapted, "driver_connection", None)
    config = getattr(driver, "_config", None)
    if config is None or not hasattr(config, "command_timeout"):
        return
    if config.command_timeout != timeout:
        driver._config = config._replace(command_timeout=timeout)  # type: ignore[union-attr]
