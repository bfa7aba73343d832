"""How many emails per second the notifier sends, against a bare aiosmtplib loop.

Sends N emails three ways, in the same run, to an SMTP sink in a process of its own
(``bench/e2e/sink.py``: its work is not counted against the sender's, nor the sender's
against it), each with the same concurrency (the notifier's pool of ``smtp_pool_size``
connections):

1. **bare**: the same messages, rendered beforehand, sent over ``smtp_pool_size`` reused
   aiosmtplib connections at once: what the SMTP exchange alone costs;
2. **render+send**: the notifier's rendering (Jinja2, MIME) and its mailer (the same pool of
   reused connections), with the worker's concurrency;
3. **worker**: the whole delivery worker against PostgreSQL: claim with SKIP LOCKED, mark
   "sending", look up the contact, render, send, record the outcome. Needs a PostgreSQL
   server (``--postgres-admin-url``, by default the local stack's); skipped otherwise.

Prints each rate, its ratio to the bare loop, and p50/p95/p99 of the time per email (from
the start of its sending to the sink's acceptance for 1 and 2; for the worker, from the
moment it starts on the backlog, so its percentiles say how the backlog drains). Kafka is
not part of it: ``make bench-e2e`` measures the notifier's drain rate inside the whole stack.
Not part of the tests::

    uv run python services/notifier/bench/bench_email.py --emails 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy import func, select

from contracts import Event
from notifier.adapters.orm import CONTACTS, DELIVERIES
from notifier.config import Settings
from notifier.domain.model import DeliveryKind, DeliveryStatus, Recipient, kind_of, message_id
from notifier.main import create_mailer, create_renderer
from notifier.samples import sample_events
from notifier.service_layer.delivery import DeliveryMetrics, DeliveryWorker
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.db import create_engine, session_factory
from servicekit.logging import configure_logging

MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "notifier" / "migrations"
ROOT = Path(__file__).resolve().parents[3]


class Sink:
    """The benchmarks' SMTP sink (``bench/e2e/sink.py``) in a process of its own: it notes
    when it accepted each email (``time.time()``), one JSON line each."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._folder = tempfile.TemporaryDirectory(prefix="email-bench-")
        self.file = Path(self._folder.name) / "accepted.jsonl"
        self.file.touch()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, a module of ours
            [sys.executable, "-m", "bench.e2e.sink", str(self.port), str(self.file)],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SystemExit("the SMTP sink did not start")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise SystemExit("the SMTP sink did not answer in 15 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._folder.cleanup()

    def accepted_times(self) -> list[float]:
        """When each email was accepted, in the order of the file."""
        return [
            json.loads(line)["accepted_at"]
            for line in self.file.read_text().splitlines()
            if line.strip()
        ]

    @property
    def accepted(self) -> int:
        return len(self.accepted_times())


def percentiles(seconds: Sequence[float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    if len(seconds) < 2:
        return "n/a"
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:7.1f}  p95 {cuts[94] * 1000:7.1f}  p99 {cuts[98] * 1000:7.1f} ms"


def workload(count: int) -> list[tuple[DeliveryKind, Event, Recipient]]:
    """``count`` emails of every kind in turn, each to its own member."""
    items = []
    kinds = list(DeliveryKind)
    for index in range(count):
        member_id = uuid.uuid4()
        address = f"adherent.{index}@example.fr"
        event = sample_events(member_id=member_id, email=address)[kinds[index % len(kinds)]]
        event = event.model_copy(update={"event_id": uuid.uuid4()})
        items.append((kind_of(event), event, Recipient(address, "Camille", "MARTIN")))
    return items


async def bare_loop(
    settings: Settings, messages: Sequence[tuple[bytes, str]]
) -> tuple[float, list[float]]:
    """The same messages, already on the wire format, over as many reused connections as the
    notifier's pool, all busy at once: nothing but SMTP. Elapsed seconds, and each email's."""
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in messages:
        queue.put_nowait(item)
    durations: list[float] = []

    async def connection() -> None:
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host, port=settings.smtp_port, start_tls=False, timeout=30
        )
        await client.connect()
        while not queue.empty():
            message, recipient = queue.get_nowait()
            started = time.perf_counter()
            await client.sendmail(settings.mail_sender_address, [recipient], message)
            durations.append(time.perf_counter() - started)
        await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(settings.smtp_pool_size)))
    return time.perf_counter() - started, durations


async def render_and_send(
    settings: Settings, items: Sequence[tuple[DeliveryKind, Event, Recipient]]
) -> tuple[float, list[float]]:
    renderer = create_renderer(settings)
    mailer = create_mailer(settings)
    semaphore = asyncio.Semaphore(settings.delivery_concurrency)
    durations: list[float] = []

    async def one(kind: DeliveryKind, event: Event, recipient: Recipient) -> None:
        async with semaphore:
            started = time.perf_counter()
            message = renderer.render(
                kind=kind,
                event=event,
                recipient=recipient,
                message_id=message_id(event.event_id, kind, settings.message_id_domain),
                now=datetime.now(UTC),
            )
            await mailer.send(message, sender=settings.mail_sender_address)
            durations.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(*item) for item in items))
    elapsed = time.perf_counter() - started
    await mailer.close()
    return elapsed, durations


async def seed(
    engine: Any, settings: Settings, items: Sequence[tuple[DeliveryKind, Event, Recipient]]
) -> None:
    """The contacts and the pending deliveries of ``items``, due now, as the consumers
    would have recorded them."""
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(
            CONTACTS.insert(),
            [
                {
                    "member_id": event.member_id,  # type: ignore[attr-defined]
                    "fund": "NPC",
                    "email": recipient.email,
                    "given_name": recipient.given_name,
                    "family_name": recipient.family_name,
                    "changed_at": event.occurred_at,
                }
                for kind, event, recipient in items
                if kind.about_a_thread
            ],
        )
        await connection.execute(
            DELIVERIES.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "event_id": event.event_id,
                    "kind": kind.value,
                    "status": DeliveryStatus.PENDING.value,
                    "fund": "NPC",
                    "member_id": event.member_id,  # type: ignore[attr-defined]
                    "thread_id": getattr(event, "thread_id", None),
                    "reference": getattr(event, "reference", None),
                    "payload": event.model_dump(mode="json"),
                    "recipient": None if kind.about_a_thread else recipient.email,
                    "message_id": message_id(event.event_id, kind, settings.message_id_domain),
                    "next_attempt_at": now,
                }
                for kind, event, recipient in items
            ],
        )


async def until_sent(
    engine: Any, count: int, worker: asyncio.Task[None], tick: Callable[[], None] | None = None
) -> None:
    """Polls until ``count`` deliveries are sent (a worker that crashed raises here); calls
    ``tick`` at every look."""
    while True:
        if tick is not None:
            tick()
        async with engine.connect() as connection:
            sent = await connection.scalar(
                select(func.count()).select_from(DELIVERIES).where(DELIVERIES.c.status == "sent")
            )
        if sent == count:
            return
        if worker.done():
            worker.result()
        await asyncio.sleep(0.05)


async def whole_worker(
    settings: Settings,
    items: Sequence[tuple[DeliveryKind, Event, Recipient]],
    admin_url: str,
    sink: Sink,
) -> tuple[float, list[float]] | None:
    """Seconds to send the backlog, and when each email was accepted after the start."""
    from servicekit.migrations import upgrade_async
    from servicekit.testing import fresh_database

    try:
        database = fresh_database(admin_url, "notifier_bench")
        url = await database.__aenter__()
    except Exception as error:
        print(f"worker: skipped, no PostgreSQL at the admin URL ({type(error).__name__})")
        return None
    try:
        await upgrade_async(url, MIGRATIONS)
        settings = settings.model_copy(update={"database_url": SecretStr(url)})
        engine = create_engine(settings)
        sessions = session_factory(engine)
        await seed(engine, settings, items)
        mailer = create_mailer(settings)
        worker = DeliveryWorker(
            unit_of_work=lambda: NotifierUnitOfWork(sessions, producer="notifier"),
            renderer=create_renderer(settings),
            mailer=mailer,
            settings=settings,
            metrics=DeliveryMetrics(CollectorRegistry()),
            listen_dsn=None,
        )
        already = sink.accepted
        wall_start = time.time()
        started = time.perf_counter()
        task = asyncio.create_task(worker.run())
        await until_sent(engine, len(items), task)
        elapsed = time.perf_counter() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await mailer.close()
        await engine.dispose()
        return elapsed, [at - wall_start for at in sink.accepted_times()[already:]]
    finally:
        await database.__aexit__(None, None, None)


def default_admin_url() -> str:
    if url := os.environ.get("DEVSTACK_POSTGRES_URL"):
        return url
    try:
        from devstack.config import StackConfig

        return StackConfig().postgres_admin_url
    except Exception:
        return ""


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--postgres-admin-url", default=default_admin_url())
    parser.add_argument("--no-worker", action="store_true", help="skip the database run")
    args = parser.parse_args(argv)
    configure_logging(service="notifier", level="WARNING", fmt="console")

    from servicekit.testing import free_port

    sink = Sink(free_port())
    sink.start()
    try:
        settings = Settings(
            environment="test",
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            delivery_poll_interval_seconds=0.05,
            log_level="WARNING",
        )
        items = workload(args.emails)
        renderer = create_renderer(settings)
        prerendered = [
            (
                renderer.render(
                    kind=kind,
                    event=event,
                    recipient=recipient,
                    message_id=message_id(event.event_id, kind, settings.message_id_domain),
                    now=datetime.now(UTC),
                ).data,
                recipient.email,
            )
            for kind, event, recipient in items
        ]
        await bare_loop(settings, prerendered[: min(100, len(prerendered))])  # warm up

        runs: list[tuple[str, float, list[float]]] = []
        bare, bare_times = await bare_loop(settings, prerendered)
        runs.append(
            (
                f"bare aiosmtplib, pre-rendered, {settings.smtp_pool_size} connections",
                bare,
                bare_times,
            )
        )
        pipeline, pipeline_times = await render_and_send(settings, items)
        runs.append(
            (
                f"render+send ({settings.smtp_pool_size} pooled connections, "
                f"{settings.delivery_concurrency} in flight)",
                pipeline,
                pipeline_times,
            )
        )
        if not args.no_worker and args.postgres_admin_url:
            worker = await whole_worker(settings, items, args.postgres_admin_url, sink)
            if worker is not None:
                runs.append(
                    ("delivery worker (PostgreSQL claim + render + send + record)", *worker)
                )

        print(f"\n{args.emails} emails to an SMTP sink in another process ({os.cpu_count()} CPUs)")
        bare_rate = args.emails / bare
        for label, elapsed, times in runs:
            rate = args.emails / elapsed
            print(f"  {label:<62} {rate:7.0f} emails/s  ratio {rate / bare_rate:5.2f}")
            print(f"  {'':<62} {percentiles(times)}")
        expected = len(runs) * args.emails + min(100, args.emails)
        accepted = sink.accepted
        print(f"  accepted by the sink: {accepted} (expected {expected})")
        return 0 if accepted == expected else 1
    finally:
        sink.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
