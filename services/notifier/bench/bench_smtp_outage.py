"""How soon the notifier's backlog drains once an SMTP server that was away comes back.

The same backlog (``--emails``, 300 by default) is sent twice by the whole delivery worker
against PostgreSQL, in one run:

1. **server up**: the SMTP sink answers from the start: the time to send them all is what
   the worker needs anyway (the baseline);
2. **after an outage**: the worker starts while nothing listens on the sink's port, meets
   the outage, pauses; after ``--outage`` seconds (20 by default) the sink starts; the time
   from then until the last email is accepted, and until the first one.

Each run also gives p50/p95/p99 of the moment each email was accepted, counted from the
sink's start. The second run's last email, less the first run's, is what the outage costs
after recovery. The sink runs in
a process of its own (``bench/e2e/sink.py``); each email is counted once by it, so a
duplicate would show as more accepted than sent. Not a test::

    uv run python services/notifier/bench/bench_smtp_outage.py --emails 300 --outage 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from notifier.config import Settings
from notifier.main import create_mailer, create_renderer
from notifier.service_layer.delivery import DeliveryMetrics, DeliveryWorker
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.db import create_engine, session_factory
from servicekit.logging import configure_logging
from servicekit.migrations import upgrade_async
from servicekit.testing import free_port, fresh_database

sys.path.insert(0, os.path.dirname(__file__))
from bench_email import (
    MIGRATIONS,
    Sink,
    default_admin_url,
    percentiles,
    seed,
    until_sent,
    workload,
)


async def drain(
    admin_url: str, settings: Settings, count: int, outage: float
) -> tuple[float, float, list[float]]:
    """Seconds from the sink's start to the first and to the last email, and to each email
    the sink accepted."""
    sink = Sink(settings.smtp_port)
    items = workload(count)
    async with fresh_database(admin_url, "notifier_outage_bench") as url:
        await upgrade_async(url, MIGRATIONS)
        settings = settings.model_copy(update={"database_url": SecretStr(url)})
        engine = create_engine(settings)
        await seed(engine, settings, items)
        sessions = session_factory(engine)
        mailer = create_mailer(settings)
        worker = DeliveryWorker(
            unit_of_work=lambda: NotifierUnitOfWork(sessions, producer="notifier"),
            renderer=create_renderer(settings),
            mailer=mailer,
            settings=settings,
            metrics=DeliveryMetrics(CollectorRegistry()),
            listen_dsn=None,
        )

        if outage:
            task = asyncio.create_task(worker.run())
            await asyncio.sleep(outage)  # the outage itself: nothing listens on the port yet
            await asyncio.to_thread(sink.start)
        else:
            await asyncio.to_thread(sink.start)
            task = asyncio.create_task(worker.run())
        back = time.perf_counter()
        back_at = time.time()  # the sink notes its acceptances in wall-clock time
        first: float | None = None

        def note_first() -> None:
            nonlocal first
            if first is None and sink.accepted:
                first = time.perf_counter() - back

        await until_sent(engine, count, task, note_first)
        last = time.perf_counter() - back
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await mailer.close()
        await engine.dispose()
        accepted = [at - back_at for at in sink.accepted_times()]
        sink.stop()
    return first or last, last, accepted


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=300)
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the server is away")
    parser.add_argument("--postgres-admin-url", default=default_admin_url())
    args = parser.parse_args(argv)
    configure_logging(service="notifier", level="ERROR", fmt="console")
    if not args.postgres_admin_url:
        print("no PostgreSQL: set DEVSTACK_POSTGRES_URL or start the local stack")
        return 1

    def settings() -> Settings:
        return Settings(
            environment="test",
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_timeout=5.0,
            delivery_poll_interval_seconds=0.2,
            log_level="ERROR",
        )

    _, up_last, up_accepted = await drain(args.postgres_admin_url, settings(), args.emails, 0)
    first, last, accepted = await drain(
        args.postgres_admin_url, settings(), args.emails, args.outage
    )
    print(f"\n{args.emails} emails, whole delivery worker, {os.cpu_count()} CPUs")
    print(f"  server up from the start: all sent in {up_last:6.2f} s ({len(up_accepted)} accepted)")
    print(f"    each email accepted after the start:  {percentiles(up_accepted)}")
    print(
        f"  server away {args.outage:g} s: first email {first:5.2f} s after its return, "
        f"all sent {last:6.2f} s after ({len(accepted)} accepted)"
    )
    print(f"    each email accepted after the return: {percentiles(accepted)}")
    print(f"  what the outage costs after recovery: {last - up_last:+.2f} s")
    return 0 if len(accepted) == len(up_accepted) == args.emails else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
