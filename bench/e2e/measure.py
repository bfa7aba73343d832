"""What the benchmark reads off the machine: CPU time per process tree, percentiles, the
emails the sink accepted, and the submission events as a Kafka consumer sees them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer


def percentile(values: Iterable[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def summary(values: Iterable[float], scale: float = 1000.0) -> dict[str, float | None]:
    """p50/p95/p99 (and max), in milliseconds by default."""
    data = [value * scale for value in values]
    return {
        "p50": _round(percentile(data, 50)),
        "p95": _round(percentile(data, 95)),
        "p99": _round(percentile(data, 99)),
        "max": _round(max(data) if data else None),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants, including the children it
    already reaped (PostgreSQL's backends come and go)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _generator_cpu_seconds() -> float:
    """This process's CPU and its reaped children's: the benchmark and the compiled load
    generator it ran (nothing else of its children ends while a meter runs)."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


@dataclass
class CpuMeter:
    """CPU seconds of named process trees between ``start`` and ``stop``."""

    pids: Mapping[str, int]
    _start: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        # This process started every other one: counted alone, as the load generator, with
        # the compiled generator it ran and reaped (``load.generate``).
        return {
            name: _generator_cpu_seconds() if pid == os.getpid() else tree_cpu_seconds(pid)
            for name, pid in self.pids.items()
        }

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        return {name: value - self._start.get(name, 0.0) for name, value in self._read().items()}


async def settled(
    pids: Mapping[str, int], *, share: float = 0.25, window: float = 2.0, timeout: float = 240.0
) -> tuple[float, float]:
    """Waits until the stack's processes together use less than ``share`` of one core over
    ``window`` seconds: what a fresh stack does by itself (the auth service reading the
    registry of covered people, consumers joining their groups) is not counted against the
    submissions. The seconds waited and the share of a core last seen (past ``timeout``,
    the benchmark goes on and the report shows that share)."""
    started = time.monotonic()
    meter = CpuMeter(pids)
    while True:
        meter.start()
        await asyncio.sleep(window)
        used = meter.stop()
        busy = sum(used.values()) / window
        if busy < share or time.monotonic() - started > timeout:
            print(
                "› at rest, share of a core:",
                {name: round(value / window, 3) for name, value in used.items()},
                flush=True,
            )
            return time.monotonic() - started, busy


@dataclass
class Email:
    accepted_at: float
    reference: str | None
    subject: str


class Mailbox:
    """The sink's record, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self.emails: list[Email] = []

    def refresh(self) -> list[Email]:
        if not self.path.exists():
            return self.emails
        with self.path.open("rb") as file:
            file.seek(self._offset)
            data = file.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            record = json.loads(line)
            self.emails.append(Email(record["accepted_at"], record["reference"], record["subject"]))
        return self.emails

    def confirmations(self) -> dict[str, list[float]]:
        """Acceptance times of the "message received" emails, by thread reference."""
        found: dict[str, list[float]] = {}
        for email in self.refresh():
            if email.reference and email.subject.startswith("Votre message a bien été reçu"):
                found.setdefault(email.reference, []).append(email.accepted_at)
        return found

    async def wait_for(self, references: set[str], *, timeout: float) -> float:
        """Waits until every reference has its confirmation (or the timeout); returns when the
        last one arrived (``time.time()``), or the moment it gave up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if references <= set(self.confirmations()):
                break
            await asyncio.sleep(0.2)
        arrived = self.confirmations()
        times = [min(arrived[ref]) for ref in references if ref in arrived]
        return max(times) if times else time.time()


class SubmissionEvents:
    """Reads ``messages.message-submitted.v1`` as a consumer would, noting for each event
    when it was read. With the moment the submission's transaction committed (the outbox
    row with it: ``commit_times``) it gives the outbox's commit → consumer latency."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", enable_auto_commit=False
        )
        self.read_at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        # Without a group every partition is assigned at start: position at the end now, so
        # that nothing older is mistaken for this run's.
        await self.consumer.seek_to_end()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for record in self.consumer:
            read_at = time.time()
            event: dict[str, Any] = json.loads(record.value)
            self.read_at[event["reference"]] = read_at

    def latencies(self, committed: Mapping[str, float]) -> list[float]:
        """Commit → read, in seconds, for the references read and committed."""
        return [
            self.read_at[reference] - at
            for reference, at in committed.items()
            if reference in self.read_at
        ]

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.consumer.stop()
        except asyncio.CancelledError:
            # aiokafka's fetcher, cancelled while a fetch timed out, lets its cancellation
            # out of stop(): the run ended, all it measured is kept (not a stop from outside).
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise


#: When each submission's transaction committed: the member's message is written by it
#: and never changed afterwards, so its row version's transaction is the submission's
#: (PostgreSQL keeps commit times with ``track_commit_timestamp``, on in the local stack).
_COMMIT_TIMES = """
SELECT t.reference,
       extract(epoch FROM pg_xact_commit_timestamp(m.xmin))::float8 AS at,
       extract(epoch FROM o.published_at)::float8 AS claimed_at
FROM threads t
JOIN messages m ON m.thread_id = t.id AND m.author_kind = 'member'
LEFT JOIN outbox o ON o.topic = 'messages.message-submitted.v1'
                  AND o.payload ->> 'reference' = t.reference
WHERE t.reference = ANY($1::text[])
"""


async def commit_times(dsn: str, references: Iterable[str]) -> tuple[dict[str, float], list[float]]:
    """The moment (``time.time()``) each submission committed, by reference; and for each,
    how long after its commit the relay claimed its outbox row (its transaction's start,
    which the row keeps as ``published_at``), in seconds: the outbox's latency before Kafka."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(_COMMIT_TIMES, sorted(references))
    finally:
        await connection.close()
    missing = [row["reference"] for row in rows if row["at"] is None]
    if missing:
        raise SystemExit(
            f"no commit time for {len(missing)} submissions: is PostgreSQL's "
            "track_commit_timestamp on?"
        )
    to_claim = [row["claimed_at"] - row["at"] for row in rows if row["claimed_at"] is not None]
    return {row["reference"]: row["at"] for row in rows}, to_claim
