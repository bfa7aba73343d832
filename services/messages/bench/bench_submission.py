"""The submission path in process: ``POST /threads`` against a bare FastAPI + asyncpg app.

    uv run python services/messages/bench/bench_submission.py [--seconds 20] [--connections 16]

Both apps run in this process on the local stack's PostgreSQL (``DEVSTACK_POSTGRES_URL``
names another) and are sent the same requests through httpx's ASGI transport, with the same
number in flight: the messages service as it runs (its middleware, token check, idempotency
key, reference number, thread, message, outbox row; the relay publishing to Kafka,
``KAFKA_BOOTSTRAP_SERVERS``), and the baseline of ``bench/e2e/bare.py`` (the same request
validated, one INSERT). No network, no gateway: what the service's own code costs.

Prints, for each: submissions per second, p50/p95/p99, CPU milliseconds of this process per
submission (the load generator's included, the same for both), and for the service the SQL
statements it sent per submission (BEGIN and COMMIT come on top).
Not a test: numbers depend on the machine; compare the two lines of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))  # the tests' helpers and bench/e2e, by their paths

from bench.e2e.bare import create_app as create_bare_app  # noqa: E402
from devstack.config import StackConfig  # noqa: E402
from devstack.topics import create_topics  # noqa: E402
from messages.main import create_app  # noqa: E402
from servicekit.db import asyncpg_dsn  # noqa: E402
from servicekit.migrations import upgrade_async  # noqa: E402
from servicekit.security import StaticKeySet  # noqa: E402
from servicekit.testing import TokenMinter, eventually, fresh_database  # noqa: E402
from services.messages.tests.support import (  # noqa: E402
    catalog_snapshot,
    new_message,
    publish_catalog,
    service_settings,
)

MIGRATIONS = ROOT / "services" / "messages" / "src" / "messages" / "migrations"


async def closed_loop(
    client: httpx.AsyncClient,
    send: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    *,
    connections: int,
    seconds: float,
) -> tuple[int, list[float], float]:
    """Answers 201 within ``seconds``, each request's latency, CPU seconds of this process
    (any other answer is counted and printed)."""
    latencies: list[float] = []
    created = 0
    refused: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal created
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = await send(client)
            latencies.append(time.perf_counter() - started)
            if response.status_code == 201:
                created += 1
            else:
                refused[response.status_code] = refused.get(response.status_code, 0) + 1

    cpu = time.process_time()
    await asyncio.gather(*(loop() for _ in range(connections)))
    if refused:
        print(f"  answers other than 201: {refused}")
    return created, latencies, time.process_time() - cpu


def line(label: str, seconds: float, result: tuple[int, list[float], float]) -> str:
    created, latencies, cpu = result
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return (
        f"  {label:<26} {created / seconds:7.1f}/s   p50 {cuts[49] * 1000:6.1f}  "
        f"p95 {cuts[94] * 1000:6.1f}  p99 {cuts[98] * 1000:6.1f} ms   "
        f"CPU {cpu * 1000 / max(1, created):5.2f} ms/submission"
    )


async def main(seconds: float, connections: int) -> None:
    config = StackConfig()
    admin = os.environ.get("DEVSTACK_POSTGRES_URL") or config.postgres_admin_url
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or config.kafka_bootstrap
    prefix = f"bench-{secrets.token_hex(3)}."
    create_topics(kafka, prefix=prefix)
    snapshot = catalog_snapshot(version=1)
    await publish_catalog(kafka, prefix, snapshot)
    minter = TokenMinter()
    async with fresh_database(admin, "messages_submission_bench") as url:
        await upgrade_async(url, MIGRATIONS)
        settings = service_settings(url, kafka, prefix, "http://127.0.0.1:1/jwks.json")
        settings = settings.model_copy(update={"log_level": "WARNING"})
        app = create_app(settings, keys=StaticKeySet(minter.jwks()))
        bare = create_bare_app(asyncpg_dsn(url))
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        async with LifespanManager(app, startup_timeout=60), LifespanManager(bare):

            async def catalog_loaded() -> bool:
                return bool(app.state.catalog.version == snapshot.version)

            await eventually(catalog_loaded, timeout=60, message="no catalog")
            event.listen(app.state.runtime.engine.sync_engine, "before_cursor_execute", count)
            members = [
                minter.mint(
                    api="messages",
                    subject=uuid.uuid4(),
                    kind="member",
                    fund="NPC",
                    given_name="Camille",
                    family_name="MARTIN",
                )
                for _ in range(connections)
            ]
            body = new_message()

            async def submit(client: httpx.AsyncClient) -> httpx.Response:
                token = members[secrets.randbelow(len(members))]
                return await client.post(
                    "/threads",
                    json=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": str(uuid.uuid4()),
                    },
                )

            async def bare_submit(client: httpx.AsyncClient) -> httpx.Response:
                return await client.post("/threads", json=body)

            limits = httpx.Limits(max_connections=connections)
            async with (
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://messages",
                    limits=limits,
                ) as service,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=bare), base_url="http://bare", limits=limits
                ) as baseline,
            ):
                # Warm-up: pools filled, statements compiled and cached.
                await closed_loop(service, submit, connections=connections, seconds=2)
                await closed_loop(baseline, bare_submit, connections=connections, seconds=2)
                statements = 0
                measured = await closed_loop(
                    service, submit, connections=connections, seconds=seconds
                )
                per_submission = statements / max(1, measured[0])
                bare_measured = await closed_loop(
                    baseline, bare_submit, connections=connections, seconds=seconds
                )
    print(f"\n{connections} submissions in flight, {seconds:g} s each, in process")
    print(line("bare FastAPI + asyncpg", seconds, bare_measured))
    print(line("messages service", seconds, measured))
    print(f"  ratio {measured[0] / max(1, bare_measured[0]):.2f}")
    print(f"  SQL statements per submission: {per_submission:.2f} (+ BEGIN and COMMIT)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=16)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.connections))
