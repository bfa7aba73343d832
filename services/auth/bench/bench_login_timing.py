"""How long a failed login takes, for a number that has an account and one that has not.

Both must take the same time (one argon2id check each), so that timing tells nothing about
which numbers have an account. Runs the app in-process on a fresh database of the local
stack (started if needed), with the production hashing parameters:

    uv run python services/auth/bench/bench_login_timing.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

from asgi_lifespan import LifespanManager
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from auth_test_support import MIGRATIONS, AuthApp, MovableClock, random_nir, registered_member

from auth.config import Settings
from auth.main import create_app
from devstack.stack import Stack
from devstack.topics import create_topics
from servicekit.migrations import upgrade_async
from servicekit.testing import fresh_database


async def timed_failure(running: AuthApp, nir: str) -> float:
    async with running.client() as browser:
        started = time.perf_counter()
        response = await browser.post("/session", json={"nir": nir, "password": "Pas-Le-Bon-1234"})
        elapsed = time.perf_counter() - started
    assert response.status_code == 401, response.text
    return elapsed


async def main(rounds: int) -> None:
    stack = Stack()
    states = stack.up(["postgres", "kafka"])
    if any(state.status != "ready" for state in states.values()):
        raise SystemExit("the local stack did not start")
    config = stack.config
    prefix = f"bench-{secrets.token_hex(3)}."
    create_topics(config.kafka_bootstrap, prefix=prefix)
    async with fresh_database(config.postgres_admin_url, "auth_bench") as url:
        await upgrade_async(url, MIGRATIONS)
        settings = Settings(
            environment="test",
            database_url=SecretStr(url),
            kafka_bootstrap_servers=config.kafka_bootstrap,
            kafka_topic_prefix=prefix,
            # Throttling off: every try is checked, none is refused early.
            account_free_failures=10_000,
            account_lock_after=10_000,
            address_free_failures=10_000,
            address_lock_after=10_000,
            log_level="WARNING",
        )
        app = create_app(settings, clock=MovableClock())
        async with LifespanManager(app, startup_timeout=30):
            running = AuthApp(app, settings)
            known, _ = await registered_member(running)
            unknown, _ = random_nir()
            timings: dict[str, list[float]] = {"known number": [], "unknown number": []}
            for index in range(rounds + 3):
                # Interleaved, in alternating order, so that load on the machine hits both.
                pair = [("known number", known), ("unknown number", unknown)]
                for label, nir in pair if index % 2 else reversed(pair):
                    elapsed = await timed_failure(running, nir)
                    if index >= 3:  # warm-up
                        timings[label].append(elapsed)
            for label, durations in timings.items():
                print(
                    f"{label:15}  median {statistics.median(durations) * 1000:6.1f} ms  "
                    f"p90 {statistics.quantiles(durations, n=10)[-1] * 1000:6.1f} ms  "
                    f"({len(durations)} failed logins)"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
