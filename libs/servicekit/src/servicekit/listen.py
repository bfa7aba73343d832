"""PostgreSQL ``LISTEN``: wake a worker as soon as a commit says there is work for it."""

from __future__ import annotations

import asyncio

import asyncpg

from servicekit.logging import get_logger

logger = get_logger(__name__)


async def listen(dsn: str, channel: str, wake: asyncio.Event, *, retry_interval: float) -> None:
    """Set ``wake`` on every ``NOTIFY channel`` until cancelled.

    Also set once on each (re)connection, for whatever was committed while nobody listened.
    On any trouble the connection is dropped and opened again after ``retry_interval``; the
    worker relying on it polls meanwhile, so a lost listener only costs latency."""
    while True:
        connection: asyncpg.Connection | None = None
        try:
            connection = await asyncpg.connect(dsn)
            await connection.add_listener(channel, lambda *_: wake.set())
            wake.set()
            closed = asyncio.Event()
            connection.add_termination_listener(lambda *_, done=closed: done.set())
            await closed.wait()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.debug("listener unavailable", channel=channel, error=repr(error))
        finally:
            if connection is not None and not connection.is_closed():
                # Dropped at once: a polite close may wait on a busy or vanishing server, and
                # this runs when the service stops.
                connection.terminate()
        await asyncio.sleep(retry_interval)
