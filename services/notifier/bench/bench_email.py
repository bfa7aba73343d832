"""How many emails per second the notifier sends, against a bare aiosmtplib loop.

Runs a local SMTP sink (aiosmtpd, in this process, on a free port) and
sends N emails three ways, in the same run:

1. **bare**: the same messages, rendered beforehand, sent one after the other over one
   aiosmtplib connection: what the SMTP exchange alone costs;
2. **render+send**: the notifier's rendering (Jinja2, MIME) and its mailer (a pool of
   reused connections), with the worker's concurrency;
3. **worker**: the whole delivery worker against PostgreSQL: claim with SKIP LOCKED, mark
   "sending", look up the contact, render, send, record the outcome. Needs a PostgreSQL
   server (``--postgres-admin-url``, by default the local stack's); skipped otherwise.

Prints each rate and its ratio to the bare loop. Not part of the tests::

    uv run python services/notifier/bench/bench_email.py --emails 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP
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


class Sink:
    """Counts what it accepts; nothing else."""

    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted += 1
        return "250 2.0.0 OK"


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


async def bare_loop(settings: Settings, messages: Sequence[tuple[bytes, str]]) -> float:
    """The same messages, already on the wire format, sent one by one: nothing but SMTP."""
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host, port=settings.smtp_port, start_tls=False, timeout=30
    )
    await client.connect()
    started = time.perf_counter()
    for message, recipient in messages:
        await client.sendmail(settings.mail_sender_address, [recipient], message)
    elapsed = time.perf_counter() - started
    await client.quit()
    return elapsed


async def render_and_send(
    settings: Settings, items: Sequence[tuple[DeliveryKind, Event, Recipient]]
) -> float:
    renderer = create_renderer(settings)
    mailer = create_mailer(settings)
    semaphore = asyncio.Semaphore(settings.delivery_concurrency)

    async def one(kind: DeliveryKind, event: Event, recipient: Recipient) -> None:
        async with semaphore:
            message = renderer.render(
                kind=kind,
                event=event,
                recipient=recipient,
                message_id=message_id(event.event_id, kind, settings.message_id_domain),
                now=datetime.now(UTC),
            )
            await mailer.send(message, sender=settings.mail_sender_address)

    started = time.perf_counter()
    await asyncio.gather(*(one(*item) for item in items))
    elapsed = time.perf_counter() - started
    await mailer.close()
    return elapsed


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
    settings: Settings, items: Sequence[tuple[DeliveryKind, Event, Recipient]], admin_url: str
) -> float | None:
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
        started = time.perf_counter()
        task = asyncio.create_task(worker.run())
        await until_sent(engine, len(items), task)
        elapsed = time.perf_counter() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await mailer.close()
        await engine.dispose()
        return elapsed
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

    sink = Sink()
    # Served by this event loop (not a thread of its own): the sink costs both runs the same
    # CPU, without the two threads fighting over the GIL at every socket call.
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(sink, hostname="sink.localhost"), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        settings = Settings(
            environment="test",
            smtp_host="127.0.0.1",
            smtp_port=port,
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

        runs: list[tuple[str, float]] = []
        bare = await bare_loop(settings, prerendered)
        runs.append(("bare aiosmtplib loop, pre-rendered, 1 connection", bare))
        pipeline = await render_and_send(settings, items)
        runs.append(
            (
                f"render+send ({settings.smtp_pool_size} pooled connections, "
                f"{settings.delivery_concurrency} in flight)",
                pipeline,
            )
        )
        if not args.no_worker and args.postgres_admin_url:
            worker = await whole_worker(settings, items, args.postgres_admin_url)
            if worker is not None:
                runs.append(("delivery worker (PostgreSQL claim + render + send + record)", worker))

        print(f"\n{args.emails} emails to an in-process aiosmtpd sink ({os.cpu_count()} CPUs)")
        bare_rate = args.emails / bare
        for label, elapsed in runs:
            rate = args.emails / elapsed
            print(f"  {label:<72} {rate:8.0f} emails/s  ratio {rate / bare_rate:5.2f}")
        print(f"  accepted by the sink: {sink.accepted}")
    finally:
        server.close()
        await server.wait_closed()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
