"""How fast the member and agent listings are with 1,000 and with 1,000,000 messages.

    uv run python services/messages/bench/bench_listings.py [--admin-url URL] [--large 1000000]

Creates two databases of its own (dropped at the end), migrates them, and loads ``--small``
messages into one and ``--large`` into the other with ``scripts/load_million.py``. After
each load, a share of the open threads changes as agents' work changes them, and is left for
autovacuum (the loader vacuums: a database in service is rarely just vacuumed). For each
listing it times the first page and a deep page reached by following cursors, as the
service runs them (the repository's queries), on both databases in turn, so that whatever
else runs on the machine slows both alike: the first run, then p50, p95 and p99. Then the
queue counts' p95 with the large data set against the small one (the target: at most 1.5
times), and the query plans, so you can check they read the listing indexes (no sort, no
full scan) and that the counts read neither the closed threads nor the table's pages.
Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from devstack.config import StackConfig
from messages.adapters.queue import queue_statement
from messages.adapters.threads import ThreadRepository
from messages.domain.commands import QueueFilter
from messages.domain.model import OPEN_STATUSES, Status
from servicekit.db import asyncpg_dsn
from servicekit.migrations import upgrade_async
from servicekit.testing import fresh_database

HERE = Path(__file__).parent
#: Share of the open threads changed after each load, before measuring (see ``churn``).
CHURN = 0.05
MIGRATIONS = HERE.parent / "src" / "messages" / "migrations"
#: The local stack's PostgreSQL, or the server ``DEVSTACK_POSTGRES_URL`` names.
DEFAULT_ADMIN_URL = os.environ.get("DEVSTACK_POSTGRES_URL") or StackConfig().postgres_admin_url
#: The queue counts at the large size may take at most this many times their time at the
#: small one (p95).
COUNTS_TARGET = 1.5
#: The skills of the agent whose ``skill=mine`` queue is measured (the loader's are theme codes).
TWO_SKILLS = ("famille", "retraite")
FIVE_SKILLS = ("cotisations", "famille", "retraite", "sante", "solidarite")


def _loader() -> Any:
    spec = importlib.util.spec_from_file_location(
        "load_million", HERE.parent / "scripts" / "load_million.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_million"] = module
    spec.loader.exec_module(module)
    return module


#: What each listing's cell shows, in milliseconds.
COLUMNS = ("first", "p50", "p95", "p99")


def summary(samples: list[float]) -> tuple[float, ...]:
    """The first run (nothing of it cached by an earlier one), then p50, p95 and p99 of the
    others, in milliseconds."""
    cuts = statistics.quantiles(samples[1:], n=100, method="inclusive")
    return samples[0], cuts[49], cuts[94], cuts[98]


async def side_by_side(
    runs: list[Callable[[], Awaitable[Any]]], repeat: int
) -> list[tuple[float, ...]]:
    """Each of ``runs`` once, in turn, ``repeat + 1`` times: whatever else loads the machine
    at a moment slows them alike. Their summaries, in the same order."""
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(repeat + 1):
        for run, times in zip(runs, samples, strict=True):
            started = time.perf_counter()
            await run()
            times.append((time.perf_counter() - started) * 1000)
    return [summary(times) for times in samples]


async def settle_tally(dsn: str) -> None:
    """The loader vacuums the tables it fills (the steady state autovacuum keeps);
    thread_counts, which the trigger kept through the loader's burst of a million inserts
    (a row version each), is vacuumed the same way, so that the churn starts from the same
    steady state in every table."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM (ANALYZE) thread_counts")
    finally:
        await connection.close()


async def churn(dsn: str, share: float) -> int:
    """A day of agents' work since the last vacuum: ``share`` of the open threads taken,
    answered or closed, their old row versions left for autovacuum (dead tuples, pages no
    longer all-visible), as a database in service has them between two vacuums."""
    connection = await asyncpg.connect(dsn)
    try:
        closed = await connection.execute(
            "UPDATE threads SET status = 'closed', closed_at = now(), last_activity_at = now() "
            "WHERE status IN ('submitted', 'in_progress') AND random() < $1",
            share / 2,
        )
        taken = await connection.execute(
            "UPDATE threads SET status = 'in_progress', last_activity_at = now() "
            "WHERE status = 'submitted' AND random() < $1",
            share / 2,
        )
        return int(closed.split()[-1]) + int(taken.split()[-1])
    finally:
        await connection.close()


#: One listing of one database, made ready when it is measured (a deep page follows its
#: cursors then, after its first page was timed cold): what to run, again and again.
Listing = Callable[[], Awaitable[Callable[[], Awaitable[Any]]]]


def ready(run: Callable[[], Awaitable[Any]]) -> Listing:
    async def prepared() -> Callable[[], Awaitable[Any]]:
        return run

    return prepared


async def listings(
    sessions: async_sessionmaker[AsyncSession], depth: int
) -> tuple[dict[str, Listing], uuid.UUID]:
    """Every listing measured, by name, on this database; and the agent whose queue it is."""
    async with sessions() as session:
        heavy_member = (
            await session.execute(
                text(
                    "SELECT member_id FROM threads GROUP BY member_id ORDER BY count(*) DESC LIMIT 1"
                )
            )
        ).scalar_one()
        typical_member = (
            await session.execute(text("SELECT member_id FROM threads ORDER BY id LIMIT 1"))
        ).scalar_one()
        agent = (
            await session.execute(
                text(
                    "SELECT assignee_id FROM threads WHERE fund = 'NPC' AND assignee_id IS NOT NULL "
                    "AND status IN ('submitted', 'in_progress') LIMIT 1"
                )
            )
        ).scalar_one_or_none() or uuid.uuid4()
        reference = (
            await session.execute(
                text("SELECT reference FROM threads WHERE fund = 'NPC' ORDER BY id LIMIT 1")
            )
        ).scalar_one()
    results: dict[str, Listing] = {}

    async def member_page(member_id: uuid.UUID, after: Any = None) -> Any:
        async with sessions() as session:
            return await ThreadRepository(session).list_member_threads(
                member_id, status=None, search=None, after=after, limit=21
            )

    async def queue_page(queue: QueueFilter, after: Any = None) -> Any:
        async with sessions() as session:
            return await ThreadRepository(session).list_queue(queue, after=after, limit=21)

    def deep(fetch: Callable[[Any], Awaitable[list[Any]]], key: Callable[[Any], Any]) -> Listing:
        """The ``depth``-th page (or the last one), its cursor found by following the others."""

        async def prepared() -> Callable[[], Awaitable[Any]]:
            after = None
            for _ in range(depth):
                rows = await fetch(after)
                if len(rows) < 21:
                    break
                after = key(rows[19])
            return lambda: fetch(after)

        return prepared

    def activity(thread: Any) -> Any:
        return (thread.last_activity_at, thread.id)

    def due(thread: Any) -> Any:
        return (thread.due_date, thread.id)

    open_queue = QueueFilter(fund="NPC", statuses=OPEN_STATUSES)
    closed_queue = QueueFilter(fund="NPC", statuses=(Status.CLOSED,))
    everything = QueueFilter(fund="NPC", statuses=())
    mine = QueueFilter(fund="NPC", statuses=OPEN_STATUSES, assignee_id=agent)
    overdue = QueueFilter(fund="NPC", statuses=OPEN_STATUSES, overdue_on=date.today())
    motif = QueueFilter(fund="NPC", statuses=OPEN_STATUSES, motif="af-autre")
    # skill=mine: the caller's skills (from the token) and the threads assigned to them.
    my_two_skills = QueueFilter(
        fund="NPC", statuses=OPEN_STATUSES, skills=TWO_SKILLS, or_assigned_to=agent
    )
    my_five_skills = QueueFilter(
        fund="NPC", statuses=OPEN_STATUSES, skills=FIVE_SKILLS, or_assigned_to=agent
    )
    one_skill = QueueFilter(fund="NPC", statuses=OPEN_STATUSES, skills=("cotisations",))
    my_skills_closed = QueueFilter(
        fund="NPC", statuses=(Status.CLOSED,), skills=TWO_SKILLS, or_assigned_to=agent
    )

    # The search by reference (what an agent types, made whole): alone, every status, and
    # within « Mes compétences ».
    for name, queue in (
        ("reference alone", QueueFilter(fund="NPC", statuses=(), reference=reference)),
        (
            "reference, skill=mine (5), open",
            QueueFilter(
                fund="NPC",
                statuses=OPEN_STATUSES,
                skills=FIVE_SKILLS,
                or_assigned_to=agent,
                reference=reference,
            ),
        ),
    ):
        results[name] = ready(lambda q=queue: queue_page(q))

    for name, member in (
        ("member (typical)", typical_member),
        ("member (most threads)", heavy_member),
    ):
        results[f"{name}: first page"] = ready(lambda m=member: member_page(m))
        results[f"{name}: page {depth}"] = deep(
            lambda after, m=member: member_page(m, after), activity
        )
    for name, queue in (
        ("queue open", open_queue),
        ("queue closed", closed_queue),
        ("queue all statuses", everything),
        ("queue assigned to me", mine),
        ("queue overdue", overdue),
        ("queue one motif", motif),
        ("queue skill=mine (2 skills)", my_two_skills),
        ("queue skill=mine (5 skills)", my_five_skills),
        ("queue skill=cotisations", one_skill),
        ("queue skill=mine (2) closed", my_skills_closed),
    ):
        results[f"{name}: first page"] = ready(lambda q=queue: queue_page(q))
        results[f"{name}: page {depth}"] = deep(lambda after, q=queue: queue_page(q, after), due)

    async def counts() -> Any:
        async with sessions() as session:
            return await ThreadRepository(session).queue_counts(
                QueueFilter(fund="NPC", statuses=()),
                agent_id=agent,
                agent_skills=TWO_SKILLS,
                today=date.today(),
            )

    results["queue counts (NPC)"] = ready(counts)
    return results, agent


def _sql(statement: Any) -> str:
    """A repository query as PostgreSQL runs it, its parameters written in."""
    return str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )


async def plans(dsn: str, agent: uuid.UUID) -> list[str]:
    deep = (date.today() - timedelta(days=10), uuid.UUID(int=0))
    connection = await asyncpg.connect(dsn)
    try:
        queries = {
            "member deep page": (
                "SELECT id FROM threads WHERE member_id = (SELECT member_id FROM threads LIMIT 1) "
                "AND (last_activity_at, id) < (now(), '00000000-0000-0000-0000-000000000000') "
                "ORDER BY last_activity_at DESC, id DESC LIMIT 21"
            ),
            "queue open deep page": (
                "SELECT id FROM threads WHERE fund = 'NPC' AND status IN ('submitted', 'in_progress') "
                "AND (due_date, id) > (current_date - 30, '00000000-0000-0000-0000-000000000000') "
                "ORDER BY due_date, id LIMIT 21"
            ),
            "queue closed deep page": (
                "SELECT id FROM threads WHERE fund = 'NPC' AND status = 'closed' "
                "AND (due_date, id) > (current_date - 500, '00000000-0000-0000-0000-000000000000') "
                "ORDER BY due_date, id LIMIT 21"
            ),
            "queue skill=mine (2 skills) deep page": _sql(
                queue_statement(
                    QueueFilter(
                        fund="NPC", statuses=OPEN_STATUSES, skills=TWO_SKILLS, or_assigned_to=agent
                    ),
                    after=deep,
                    limit=21,
                )
            ),
            "reference alone": _sql(
                queue_statement(
                    QueueFilter(fund="NPC", statuses=(), reference="NPC-2026-000123"),
                    after=None,
                    limit=21,
                )
            ),
            # The queue counts (ThreadRepository.queue_counts): open threads from the covering
            # index alone, the other statuses from the tally the trigger keeps.
            "queue counts: open threads": (
                "SELECT count(*) FILTER (WHERE status = 'submitted'), "  # noqa: S608 - a UUID
                "count(*) FILTER (WHERE assignee_id IS NULL), "
                "count(*) FILTER (WHERE due_date < current_date), "
                "count(*) FILTER (WHERE skill IN ('famille', 'retraite') "
                f"OR assignee_id = '{agent}') "
                "FROM threads WHERE fund = 'NPC' AND status IN ('submitted', 'in_progress')"
            ),
            "queue counts: other statuses": (
                "SELECT status, sum(total) FROM thread_counts WHERE fund = 'NPC' GROUP BY status"
            ),
            "queue skill=cotisations deep page": _sql(
                queue_statement(
                    QueueFilter(fund="NPC", statuses=OPEN_STATUSES, skills=("cotisations",)),
                    after=deep,
                    limit=21,
                )
            ),
        }
        lines = []
        for name, query in queries.items():
            plan = await connection.fetch(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + query
            )
            lines.append(f"-- {name}")
            lines += [f"   {row[0]}" for row in plan]
        return lines
    finally:
        await connection.close()


async def run(admin_url: str, small: int, large: int, repeat: int, depth: int) -> None:
    loader = _loader()
    async with (
        fresh_database(admin_url, "messages_bench_small") as small_url,
        fresh_database(admin_url, "messages_bench_large") as large_url,
    ):
        engines, databases = [], []
        try:
            for url, size in ((small_url, small), (large_url, large)):
                await upgrade_async(url, MIGRATIONS)
                started = time.perf_counter()
                _, messages = await loader.load(asyncpg_dsn(url), size, seed=size)
                print(
                    f"loaded {messages:,} messages ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
                await settle_tally(asyncpg_dsn(url))
                changed = await churn(asyncpg_dsn(url), CHURN)
                print(f"{changed} open threads changed since the last vacuum", flush=True)
                engines.append(create_async_engine(url, pool_size=2))
                databases.append(
                    (messages, async_sessionmaker(engines[-1], expire_on_commit=False))
                )
            prepared = [await listings(sessions, depth) for _, sessions in databases]
            sizes = [messages for messages, _ in databases]
            report: dict[int, dict[str, tuple[float, ...]]] = {size: {} for size in sizes}
            for name in prepared[0][0]:
                runs = [await made[name]() for made, _ in prepared]
                for size, figures in zip(sizes, await side_by_side(runs, repeat), strict=True):
                    report[size][name] = figures
            print(
                f"\nmilliseconds: the first run, then p50 / p95 / p99 of {repeat} more, the two "
                f"databases in turn; page {depth} reached by cursor"
            )
            width = 8 * len(COLUMNS) + 4
            print(f"{'':45}" + "".join(f"{f'{size:,} messages':>{width}}" for size in sizes))
            print(
                f"{'listing':45}"
                + "".join("    " + "".join(f"{c:>8}" for c in COLUMNS) for _ in sizes)
            )
            for name in report[sizes[0]]:
                cells = "".join(
                    "    " + "".join(f"{value:8.2f}" for value in report[size][name])
                    for size in sizes
                )
                print(f"{name:45}{cells}")
            small_counts, large_counts = (report[size]["queue counts (NPC)"][2] for size in sizes)
            ratio = large_counts / small_counts
            print(
                f"\nqueue counts p95: {small_counts:.2f} ms with {sizes[0]:,} messages, "
                f"{large_counts:.2f} ms with {sizes[-1]:,}: {ratio:.2f}× "
                f"(target ≤ {COUNTS_TARGET}×: {'met' if ratio <= COUNTS_TARGET else 'NOT met'})"
            )
            print("\nQuery plans with the large data set:")
            print("\n".join(await plans(asyncpg_dsn(large_url), prepared[-1][1])))
        finally:
            for engine in engines:
                await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--admin-url", default=DEFAULT_ADMIN_URL, help="a superuser URL of the server"
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--depth", type=int, default=20, help="the deep page's number")
    args = parser.parse_args()
    asyncio.run(run(args.admin_url, args.small, args.large, args.repeat, args.depth))


if __name__ == "__main__":
    main()
