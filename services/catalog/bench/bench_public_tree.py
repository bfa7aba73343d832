"""How fast the public endpoints answer, in process (no network, no gateway).

    uv run python services/catalog/bench/bench_public_tree.py [--requests 2000]

Creates a throw-away database on the local stack's PostgreSQL (or DEVSTACK_POSTGRES_URL),
loads the reference catalog, then times sequential and concurrent requests: the whole tree
(200), its revalidation (304) and one node lookup, each beside its baseline (``/healthz``
through the same middleware, with the same number of requests in flight). Prints requests
per second and p50/p95/p99; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

import catalog
from catalog.adapters.reference_file import read_reference
from catalog.config import Settings
from catalog.domain import commands
from catalog.main import create_app
from devstack.config import StackConfig
from servicekit.migrations import upgrade_async
from servicekit.testing import fresh_database


async def timed(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int, concurrency: int
) -> list[float]:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            latencies.append(time.perf_counter() - started)
            assert response.status_code in (200, 304), response.text

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    print(
        f"{path:<40} {'If-None-Match' if headers else '':<14} c={concurrency:<3} "
        f"{n / elapsed:8.0f} req/s   p50 {cuts[49] * 1000:6.2f} ms   "
        f"p95 {cuts[94] * 1000:6.2f} ms   p99 {cuts[98] * 1000:6.2f} ms"
    )
    return latencies


async def main(requests: int) -> None:
    admin_url = os.environ.get("DEVSTACK_POSTGRES_URL", StackConfig().postgres_admin_url)
    async with fresh_database(admin_url, "catalog_bench") as url:
        await upgrade_async(url, Path(catalog.__file__).parent / "migrations")
        settings = Settings(database_url=SecretStr(url), environment="test", log_level="WARNING")
        app = create_app(settings)
        await app.state.bus.handle(commands.LoadReference(catalog=read_reference()))
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://catalog"
            ) as client,
        ):
            first = await client.get("/tree", params={"fund": "NPC"})
            print(f"/tree body: {len(first.content)} bytes, ETag {first.headers['etag']}")
            etag = {"If-None-Match": first.headers["etag"]}
            for concurrency in (1, 10):
                # Baseline: the same stack (middleware, logging) with no database and no body.
                await timed(client, "/healthz", {}, requests, concurrency)
                await timed(client, "/tree?fund=NPC", {}, requests, concurrency)
                await timed(client, "/tree?fund=NPC", etag, requests, concurrency)
                await timed(client, "/nodes/af-changement-situation", {}, requests, concurrency)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
