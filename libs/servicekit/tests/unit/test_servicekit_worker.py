"""The loop of the relay and the delivery worker: claim, process, wait for a wake-up or the
poll interval, back off while claiming fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest

from servicekit.worker import WorkLoop

pytestmark = pytest.mark.unit

#: Long enough that a test finishing in time was woken, not polled.
NEVER = 60.0


@contextlib.asynccontextmanager
async def running(loop: WorkLoop[Any]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(loop.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Recorder:
    """Claims numbered batches; says whether more is due as told."""

    def __init__(self, *, more_due: Callable[[int], bool] = lambda _batch: False) -> None:
        self.claims = 0
        self.processed: list[int] = []
        self.more_due = more_due
        self.changed = asyncio.Condition()

    async def claim(self) -> int:
        self.claims += 1
        return self.claims

    async def process(self, batch: int) -> bool:
        async with self.changed:
            self.processed.append(batch)
            self.changed.notify_all()
        return self.more_due(batch)

    async def until(self, processed: int) -> None:
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: len(self.processed) >= processed)


def work_loop(
    recorder: Recorder,
    *,
    claim: Any = None,
    poll_interval: float = NEVER,
    also_waking: Callable[[], Iterable[asyncio.Future[Any]]] | None = None,
    on_failure: Callable[[BaseException], None] | None = None,
) -> WorkLoop[int]:
    return WorkLoop(
        name="test",
        claim=claim or recorder.claim,
        process=recorder.process,
        listen_dsn=None,
        channel="test",
        poll_interval=poll_interval,
        failure_message="test claim failed",
        on_failure=on_failure,
        also_waking=also_waking,
        backoff_base=0.01,
        backoff_cap=0.02,
    )


async def test_a_wake_up_claims_again_without_waiting_for_the_poll() -> None:
    recorder = Recorder()
    loop = work_loop(recorder)
    async with running(loop):
        await recorder.until(1)
        assert loop.healthy
        loop.wake()
        await recorder.until(2)
        loop.wake()
        await recorder.until(3)
    assert recorder.processed == [1, 2, 3]


async def test_it_polls_when_nobody_wakes_it() -> None:
    recorder = Recorder()
    async with running(work_loop(recorder, poll_interval=0.01)):
        await recorder.until(3)


async def test_more_due_claims_again_at_once() -> None:
    recorder = Recorder(more_due=lambda batch: batch < 5)
    async with running(work_loop(recorder)):
        await recorder.until(5)
        await asyncio.sleep(0.05)
    assert recorder.processed == [1, 2, 3, 4, 5], "idle after the last, until woken"


async def test_a_failing_claim_backs_off_then_goes_on() -> None:
    recorder = Recorder()
    failures: list[BaseException] = []
    health: list[bool] = []
    loop: WorkLoop[int]

    async def flaky() -> int:
        health.append(loop.healthy)
        if len(health) <= 3:
            raise ConnectionError("database away")
        return await recorder.claim()

    loop = work_loop(recorder, claim=flaky, on_failure=failures.append)
    async with running(loop):
        await recorder.until(1)
        assert loop.healthy
    assert [type(error) for error in failures] == [ConnectionError] * 3
    assert health == [False, False, False, False], "unhealthy until a claim succeeds"


async def test_something_else_finishing_ends_the_wait() -> None:
    """The delivery worker claims again when an email in flight is done."""
    in_flight: set[asyncio.Future[None]] = set()
    recorder = Recorder()
    process = recorder.process

    async def start_one(batch: int) -> bool:
        in_flight.add(asyncio.get_running_loop().create_future())
        return await process(batch)

    recorder.process = start_one  # type: ignore[method-assign]
    async with running(work_loop(recorder, also_waking=lambda: in_flight)):
        await recorder.until(1)
        await asyncio.sleep(0.01)
        assert recorder.processed == [1]
        in_flight.pop().set_result(None)
        await recorder.until(2)


async def test_cancelling_it_stops_it() -> None:
    recorder = Recorder()
    loop = work_loop(recorder)
    task = asyncio.create_task(loop.run())
    await recorder.until(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
