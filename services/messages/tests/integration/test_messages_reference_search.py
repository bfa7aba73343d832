"""An agent finds a thread by its reference (``GET /agent/threads?reference=``): exact, case
and spaces ignored, the number part alone meaning the current year; only within the agent's
fund; combined with the other filters; read from the reference's unique index. Each test
works in a fund of its own."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.dialects import postgresql

from messages.adapters.queue import queue_statement
from messages.domain.commands import QueueFilter
from messages.domain.model import OPEN_STATUSES, Status
from servicekit.db import asyncpg_dsn
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, fresh_database
from services.messages.tests.support import MIGRATIONS, Caller, People, send

pytestmark = pytest.mark.integration

LOADER = Path(__file__).parents[2] / "scripts" / "load_million.py"


async def search(
    client: httpx.AsyncClient, agent: Caller, reference: str, **params: str
) -> list[str]:
    response = await client.get(
        "/agent/threads", params={"reference": reference, **params}, headers=agent.headers
    )
    assert response.status_code == 200, response.text
    return [thread["reference"] for thread in response.json()["data"]]


def number_of(reference: str) -> tuple[int, str]:
    """The year and the number part of a reference."""
    _, year, number = reference.split("-")
    return int(year), number


async def test_an_agent_finds_a_thread_of_the_fund_by_its_reference_however_it_is_typed(
    client: httpx.AsyncClient, people: People
) -> None:
    agent = people.agent("GIR")
    member = people.member("GIR")
    wanted = (await send(client, member)).json()
    other = (await send(client, member)).json()
    reference = wanted["reference"]
    year, number = number_of(reference)
    assert reference.startswith(f"GIR-{year}-")
    assert len(number) == 6

    for typed in (
        reference,
        reference.lower(),
        f"  {reference}   ",
        reference.replace("-", " "),
        f"{year}-{number}",
        f" {year} {number} ",
        number,
        str(int(number)),
    ):
        assert await search(client, agent, typed) == [reference], typed
    assert await search(client, agent, other["reference"]) == [other["reference"]]
    # A reference nobody has finds nothing, as does a number of this year not yet reached.
    assert await search(client, agent, f"GIR-{year}-999999") == []
    assert await search(client, agent, "999999") == []

    body = (
        await client.get("/agent/threads", params={"reference": number}, headers=agent.headers)
    ).json()
    assert body["next_cursor"] is None
    assert body["data"][0]["id"] == wanted["thread_id"]
    assert body["data"][0]["member"]["family_name"] == "MARTIN"


async def test_another_funds_reference_finds_nothing_exactly_like_one_nobody_has(
    client: httpx.AsyncClient, people: People
) -> None:
    ours = people.agent("LIM")
    theirs = people.agent("LAN")
    their_thread = (await send(client, people.member("LAN"))).json()
    reference = their_thread["reference"]
    year, number = number_of(reference)
    assert await search(client, theirs, reference) == [reference]

    found = await client.get(
        "/agent/threads", params={"reference": reference}, headers=ours.headers
    )
    nobody = await client.get(
        "/agent/threads", params={"reference": f"LAN-{year}-987654"}, headers=ours.headers
    )
    assert found.status_code == nobody.status_code == 200
    assert found.json() == nobody.json() == {"data": [], "next_cursor": None, "hint": None}
    # Its number typed alone means this agent's fund: the other fund's thread stays out.
    assert await search(client, ours, number) == []
    assert await search(client, ours, f"{year}-{number}") == []
    # Whatever the filters.
    for params in ({"status": "all"}, {"skill": "mine"}, {"assigned": "unassigned"}):
        assert await search(client, ours, reference, **params) == []


async def test_the_reference_combines_with_the_other_filters_and_finds_any_status_alone(
    client: httpx.AsyncClient, people: People
) -> None:
    agent = people.agent("MPN", skills=("sante",))
    colleague = people.agent("MPN", given_name="Luc", family_name="PETIT")
    member = people.member("MPN")
    thread = (await send(client, member)).json()  # famille
    reference = thread["reference"]

    # Open, unassigned, famille: outside this agent's skills.
    assert await search(client, agent, reference, status="open") == [reference]
    assert await search(client, agent, reference, status="submitted") == [reference]
    assert await search(client, agent, reference, status="closed") == []
    assert await search(client, agent, reference, assigned="unassigned") == [reference]
    assert await search(client, agent, reference, assigned="me") == []
    assert await search(client, agent, reference, skill="famille") == [reference]
    assert await search(client, agent, reference, skill="mine") == []
    assert await search(client, agent, reference, motif="af-changement-situation") == [reference]
    assert await search(client, agent, reference, motif="af-autre") == []
    assert await search(client, agent, reference, overdue="true") == []

    # Assigned to the agent: now among « mine », whatever the skill.
    assigned = await client.post(
        f"/agent/threads/{thread['thread_id']}/claim", headers=agent.headers
    )
    assert assigned.status_code == 200
    assert await search(client, agent, reference, skill="mine") == [reference]
    assert await search(client, agent, reference, assigned="me") == [reference]
    assert await search(client, colleague, reference, assigned="me") == []

    # Closed: the default queue (open threads) no longer lists it; the reference alone does.
    closed = await client.post(f"/agent/threads/{thread['thread_id']}/close", headers=agent.headers)
    assert closed.status_code == 200
    queue = await client.get("/agent/threads", headers=agent.headers)
    assert reference not in [t["reference"] for t in queue.json()["data"]]
    assert await search(client, agent, reference) == [reference]
    assert await search(client, agent, reference, status="open") == []
    assert await search(client, agent, reference, status="closed") == [reference]
    assert await search(client, agent, reference, skill="mine") == [reference]


async def test_the_number_alone_means_the_current_year(
    client: httpx.AsyncClient, people: People, clock: MovableClock
) -> None:
    agent = people.agent("SEV")
    member = people.member("SEV")
    clock.offset = -timedelta(days=400)
    last_year = (await send(client, member)).json()["reference"]
    clock.offset = timedelta()
    this_year = (await send(client, member)).json()["reference"]
    old_year, old_number = number_of(last_year)
    year, number = number_of(this_year)
    assert old_year < year

    assert await search(client, agent, number) == [this_year]
    # Last year's number alone is this year's thread of that number, if any: never last year's.
    assert last_year not in await search(client, agent, old_number)
    assert await search(client, agent, f"{old_year}-{old_number}") == [last_year]
    assert await search(client, agent, last_year.lower()) == [last_year]


@pytest.mark.parametrize(
    "typed",
    [
        "NPC-2026",
        "NPC-000123",
        "dossier 123",
        "NPC-26-000123",
        "NPC/2026/000123",
        "NPCX-2026-000123",
        "2026000123000",
        "12345678901",
        "0" * 40 + "1",
        "é",
    ],
)
async def test_what_is_no_reference_is_refused_with_what_to_type(
    client: httpx.AsyncClient, people: People, typed: str
) -> None:
    agent = people.agent("SCH")
    response = await client.get(
        "/agent/threads", params={"reference": typed}, headers=agent.headers
    )
    assert response.status_code == 422, response.text
    if len(typed) <= 40:
        problem = response.json()
        assert problem["type"].endswith("/invalid-reference")
        assert problem["field"] == "reference"
        assert "NPC-2026-000123" in problem["detail"]


async def test_an_empty_reference_is_no_filter(client: httpx.AsyncClient, people: People) -> None:
    agent = people.agent("SAQ")
    reference = (await send(client, people.member("SAQ"))).json()["reference"]
    for typed in ("", "   "):
        assert await search(client, agent, typed) == [reference]


def _loader() -> Any:
    spec = importlib.util.spec_from_file_location("load_million", LOADER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_million"] = module
    spec.loader.exec_module(module)
    return module


async def test_the_reference_is_read_from_its_unique_index_whatever_the_other_filters(
    postgres_admin_url: str,
) -> None:
    """``threads.reference`` is unique (``threads_reference_key``); the fund is the
    reference's own prefix, so that index is also the (fund, reference) one: the lookup reads
    one index entry, then checks the fund and the other filters on that row."""
    async with fresh_database(postgres_admin_url, "messages_reference_plan") as url:
        await upgrade_async(url, MIGRATIONS)
        dsn = asyncpg_dsn(url)
        await _loader().load(dsn, 20_000, seed=11)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("ANALYZE threads")
            reference = await connection.fetchval(
                "SELECT reference FROM threads WHERE fund = 'NPC' ORDER BY due_date DESC LIMIT 1"
            )
            # The agent holding the most open threads of the fund, so "assigned to me" is a
            # real alternative for the planner.
            agent = await connection.fetchval(
                "SELECT assignee_id FROM threads WHERE fund = 'NPC' AND assignee_id IS NOT NULL "
                "AND status IN ('submitted', 'in_progress') "
                "GROUP BY assignee_id ORDER BY count(*) DESC LIMIT 1"
            )
            assert agent is not None
            queues = {
                "alone": QueueFilter(fund="NPC", statuses=(), reference=reference),
                "open": QueueFilter(fund="NPC", statuses=OPEN_STATUSES, reference=reference),
                "closed, one motif": QueueFilter(
                    fund="NPC", statuses=(Status.CLOSED,), motif="af-autre", reference=reference
                ),
                "skill=mine, open": QueueFilter(
                    fund="NPC",
                    statuses=OPEN_STATUSES,
                    skills=("famille", "retraite", "sante"),
                    or_assigned_to=agent,
                    reference=reference,
                ),
                "assigned to me, overdue": QueueFilter(
                    fund="NPC",
                    statuses=OPEN_STATUSES,
                    assignee_id=agent,
                    overdue_on=date.today(),
                    reference=reference,
                ),
            }
            # Another fund's reference: not even looked up.
            for statuses in ((), OPEN_STATUSES):
                other = QueueFilter(fund="CNO", statuses=statuses, reference=reference)
                assert queue_statement(other, after=None, limit=26) is None
            for name, queue in queues.items():
                for after in (None, (date.today() - timedelta(days=30), uuid.UUID(int=0))):
                    statement = queue_statement(queue, after=after, limit=26)
                    assert statement is not None
                    sql = str(
                        statement.compile(
                            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                        )
                    )
                    plan = "\n".join(
                        row[0] for row in await connection.fetch("EXPLAIN (COSTS OFF) " + sql)
                    )
                    assert "Index Scan using threads_reference_key" in plan, f"{name}:\n{plan}"
                    assert "Seq Scan" not in plan, f"{name}:\n{plan}"
                    assert "Append" not in plan, f"{name}:\n{plan}"
                    assert plan.count("Scan") == 1, f"{name}:\n{plan}"
        finally:
            await connection.close()
