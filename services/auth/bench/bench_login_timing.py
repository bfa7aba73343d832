"""How long a failed login takes, for a number that has an account and one that has not.

Both must take the same time (one argon2id check each), so that timing tells nothing about
which numbers have an account. Runs the app in-process on a fresh database of the local
stack (started if needed; ``KAFKA_BOOTSTRAP_SERVERS`` and ``DEVSTACK_POSTGRES_URL`` name
running ones instead), with the production hashing parameters, and prints the p50, p95 and
p99 of each:

    .venv/bin/python services/auth/bench/bench_login_timing.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from pydantic import SecretStr

# The repository root, so that the tests' helpers import by their path as in pytest.
sys.path.insert(0, str(Path(__file__).parents[3]))

from auth.config import Settings
from contracts.topics import ACCOUNT_NOTIFICATION
from devstack.stack import Stack
from devstack.topics import create_topics
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, fresh_database
from services.auth.tests.support import (
    MIGRATIONS,
    AuthApp,
    EventLog,
    random_nir,
    registered_member,
    running_app,
)


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
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or stack.config.kafka_bootstrap
    postgres = os.environ.get("DEVSTACK_POSTGRES_URL") or stack.config.postgres_admin_url
    prefix = f"bench-{secrets.token_hex(3)}."
    create_topics(kafka, prefix=prefix)
    # The member's activation code is read where the notifier reads it: on Kafka.
    events = EventLog(kafka, prefix, [ACCOUNT_NOTIFICATION])
    await events.start()
    try:
        async with fresh_database(postgres, "auth_bench") as url:
            await upgrade_async(url, MIGRATIONS)
            await measure(url, kafka, prefix, events, rounds)
    finally:
        await events.stop()


def percentile(durations: list[float], share: int) -> float:
    return statistics.quantiles(durations, n=100, method="inclusive")[share - 1]


async def measure(url: str, kafka: str, prefix: str, events: EventLog, rounds: int) -> None:
    settings = Settings(
        environment="test",
        database_url=SecretStr(url),
        kafka_bootstrap_servers=kafka,
        kafka_topic_prefix=prefix,
        # Throttling off: every try is checked, none is refused early.
        account_free_failures=10_000,
        account_lock_after=10_000,
        address_free_failures=10_000,
        address_lock_after=10_000,
        log_level="WARNING",
    )
    async with running_app(settings, MovableClock(), events=events) as running:
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
            f"{label:15}  p50 {percentile(durations, 50) * 1000:6.1f} ms  "
            f"p95 {percentile(durations, 95) * 1000:6.1f} ms  "
            f"p99 {percentile(durations, 99) * 1000:6.1f} ms  "
            f"({len(durations)} failed logins)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
