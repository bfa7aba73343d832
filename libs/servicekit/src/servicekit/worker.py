"""The loop of a worker that takes its work from PostgreSQL: listen or poll, claim a batch,
process it, back off on failure.

A unit of work that commits new work sends ``NOTIFY <channel>``; the loop ``LISTEN``s on it
and wakes at once, and polls every ``poll_interval`` besides (the listener may be away, and
some work becomes due with time). Claiming is the step that fails when the database is away:
the loop then pauses with backoff (``servicekit.backoff``) and tries again, for as long as it
takes. The outbox relay and the notifier's delivery worker both run on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from servicekit import backoff
from servicekit.listen import listen
from servicekit.logging import get_logger

logger = get_logger(__name__)

Batch = TypeVar("Batch")


class WorkLoop(Generic[Batch]):
    """Runs ``claim`` then ``process`` until cancelled.

    - ``claim()`` takes what is due now (and may do the work itself, in the claiming
      transaction); an exception counts as a failure: the loop pauses, growing with each
      failure in a row, then claims again.
    - ``process(batch)`` goes on with what was claimed and says whether more may be due right
      now (True: claim again at once) or not (False: wait for a wake-up, for one of
      ``also_waking()`` to finish, or for the poll interval).
    """

    def __init__(
        self,
        *,
        name: str,
        claim: Callable[[], Awaitable[Batch]],
        process: Callable[[Batch], Awaitable[bool]],
        listen_dsn: str | None,
        channel: str,
        poll_interval: float,
        failure_message: str,
        on_failure: Callable[[BaseException], None] | None = None,
        also_waking: Callable[[], Iterable[asyncio.Future[Any]]] | None = None,
        backoff_base: float = 0.4,
        backoff_cap: float = 30.0,
    ) -> None:
        self.name = name
        self._claim = claim
        self._process = process
        self._listen_dsn = listen_dsn
        self._channel = channel
        self._poll_interval = poll_interval
        self._failure_message = failure_message
        self._on_failure = on_failure
        self._also_waking = also_waking
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._wakeup = asyncio.Event()
        #: False while claiming fails (readiness and tests read it).
        self.healthy = False

    def wake(self) -> None:
        """Claim again now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen(), name=f"{self.name}-listen")
        failures = 0
        try:
            while True:
                self._wakeup.clear()
                try:
                    batch = await self._claim()
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    failures += 1
                    self.healthy = False
                    if self._on_failure is not None:
                        self._on_failure(error)
                    pause = backoff.delay(failures, base=self._backoff_base, cap=self._backoff_cap)
                    logger.warning(
                        self._failure_message,
                        worker=self.name,
                        failures=failures,
                        error=repr(error),
                        retry_in_seconds=round(pause, 2),
                    )
                    await asyncio.sleep(pause)
                    continue
                failures = 0
                self.healthy = True
                if not await self._process(batch):
                    await self._idle()
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    async def _idle(self) -> None:
        """Wait for a wake-up, for one of ``also_waking()`` to finish, or the poll interval."""
        waiter = asyncio.ensure_future(self._wakeup.wait())
        others = set(self._also_waking()) if self._also_waking is not None else set()
        try:
            await asyncio.wait(
                {waiter, *others}, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()

    async def _listen(self) -> None:
        """Wake on NOTIFY; on any trouble the listener reconnects and the loop polls meanwhile."""
        if self._listen_dsn is None:
            return
        await listen(
            self._listen_dsn, self._channel, self._wakeup, retry_interval=self._poll_interval
        )
