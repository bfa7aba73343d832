"""Routing by skill: each thread keeps its motif's skill from the catalog snapshot, the queue
filters on the caller's skills (``skill=mine``) or one skill, and claiming or assigning
outside skills is done with a warning, never refused. Each test works in a fund of its own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update

from messages.adapters.orm import THREADS
from messages.main import create_app
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, eventually, fresh_database
from services.messages.tests.support import (
    MIGRATIONS,
    Directory,
    People,
    catalog_snapshot,
    publish_catalog,
    send,
    service_settings,
    topics_with_leaders,
)

pytestmark = pytest.mark.integration

FAMILLE = "Famille, Allocations familiales, aides au logement"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _queue(
    client: httpx.AsyncClient, caller_headers: dict[str, str], **params: str
) -> dict[str, Any]:
    response = await client.get("/agent/threads", params=params, headers=caller_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def references(page: dict[str, Any]) -> list[str]:
    return [thread["reference"] for thread in page["data"]]


@pytest.fixture
async def routing_database(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "messages_routing") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


async def test_the_thread_keeps_the_skill_its_motif_had_in_the_snapshot_when_it_was_sent(
    routing_database: str,
    kafka_bootstrap: str,
    jwks_url: str,
    people: People,
    new_topic_prefix: Callable[[str], str],
) -> None:
    prefix = new_topic_prefix("routing")
    await topics_with_leaders(kafka_bootstrap, prefix)
    app = create_app(service_settings(routing_database, kafka_bootstrap, prefix, jwks_url))
    member = people.member("NPC")
    agent = people.agent("NPC")
    async with (
        LifespanManager(app, startup_timeout=120, shutdown_timeout=120),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://messages.test"
        ) as client,
    ):
        await publish_catalog(kafka_bootstrap, prefix, catalog_snapshot(version=1))

        async def loaded(version: int) -> bool:
            return app.state.catalog.version == version

        await eventually(lambda: loaded(1), timeout=60, message="catalog not loaded")
        before = (await send(client, member, motif="af-autre")).json()

        # The catalog reroutes « Autre » to the solidarity agents: a motif's skill need not
        # be its theme's code.
        rerouted = catalog_snapshot(version=2, skills={"af-autre": "solidarite"})
        await publish_catalog(kafka_bootstrap, prefix, rerouted)
        await eventually(lambda: loaded(2), timeout=60, message="new catalog not loaded")
        after = (await send(client, member, motif="af-autre")).json()

        async def skill_of(thread_id: str) -> str | None:
            detail = await client.get(f"/agent/threads/{thread_id}", headers=agent.headers)
            assert detail.status_code == 200, detail.text
            skill: str | None = detail.json()["skill"]
            return skill

        assert await skill_of(before["thread_id"]) == "famille"
        assert await skill_of(after["thread_id"]) == "solidarite"

        # A follow-up keeps the thread's skill, whatever the catalog says now.
        follow_up = await client.post(
            f"/threads/{before['thread_id']}/messages",
            json={"text": "Je complète ma demande avec une précision."},
            headers=member.headers | key(),
        )
        assert follow_up.status_code == 201, follow_up.text
        assert await skill_of(before["thread_id"]) == "famille"
        listed = (await _queue(client, agent.headers, skill="famille"))["data"]
        assert [(t["id"], t["skill"]) for t in listed] == [(before["thread_id"], "famille")]


async def test_skill_mine_lists_the_callers_skills_by_due_date_with_counts(
    client: httpx.AsyncClient, people: People, clock: MovableClock
) -> None:
    member = people.member("LOR")
    famille_agent = people.agent("LOR", given_name="Luc", family_name="PETIT", skills=["famille"])
    sante_agent = people.agent("LOR", given_name="Inès", family_name="MOREAU", skills=["sante"])
    both = people.agent("LOR", skills=["sante", "famille"])
    clock.offset = -timedelta(days=30)
    late = (await send(client, member, motif="af-autre")).json()  # famille, overdue
    clock.offset = timedelta()
    care = (
        await send(
            client,
            member,
            theme="sante",
            subject="sante-remboursements",
            motif="sante-remboursement-soins",
        )
    ).json()  # sante, 3 working days
    quick = (await send(client, member)).json()  # famille, 5 working days
    slow = (await send(client, member, motif="af-autre")).json()  # famille, 10 working days
    answered = (await send(client, member)).json()  # famille, answered: not open
    await client.post(
        f"/agent/threads/{answered['thread_id']}/replies",
        json={"text": "Voici notre réponse."},
        headers=famille_agent.headers | key(),
    )

    # A thread of one's skills that one has taken is listed once.
    await client.post(f"/agent/threads/{quick['thread_id']}/claim", headers=famille_agent.headers)

    famille_mine = await _queue(client, famille_agent.headers, skill="mine")
    assert references(famille_mine) == [late["reference"], quick["reference"], slow["reference"]]
    assert famille_mine["hint"] is None
    assert {thread["skill"] for thread in famille_mine["data"]} == {"famille"}
    assert references(await _queue(client, sante_agent.headers, skill="mine")) == [
        care["reference"]
    ]
    assert references(await _queue(client, both.headers, skill="mine")) == [
        late["reference"],
        care["reference"],
        quick["reference"],
        slow["reference"],
    ]
    # Pages follow each other across skills, by due date, nothing twice.
    first = await _queue(client, both.headers, skill="mine", limit="3")
    assert references(first) == [late["reference"], care["reference"], quick["reference"]]
    rest = await _queue(
        client, both.headers, skill="mine", limit="3", cursor=str(first["next_cursor"])
    )
    assert references(rest) == [slow["reference"]]
    assert rest["next_cursor"] is None
    # One skill, and the skill filter with the other filters.
    assert references(await _queue(client, sante_agent.headers, skill="famille")) == [
        late["reference"],
        quick["reference"],
        slow["reference"],
    ]
    assert references(
        await _queue(client, famille_agent.headers, skill="mine", status="answered")
    ) == [answered["reference"]]
    assert references(
        await _queue(client, famille_agent.headers, skill="mine", overdue="true")
    ) == [late["reference"]]
    assert references(await _queue(client, sante_agent.headers, skill="mine", status="all")) == [
        care["reference"]
    ]

    counts = (await client.get("/agent/threads/counts", headers=famille_agent.headers)).json()
    assert counts["open"] == 4
    assert counts["my_skills"] == 3
    assert counts["without_skill"] == 0
    sante_counts = (await client.get("/agent/threads/counts", headers=sante_agent.headers)).json()
    assert sante_counts["my_skills"] == 1
    narrowed = (
        await client.get(
            "/agent/threads/counts", params={"skill": "mine"}, headers=famille_agent.headers
        )
    ).json()
    assert narrowed == {
        "submitted": 2,
        "in_progress": 1,
        "answered": 1,
        "awaiting_member": 0,
        "closed": 0,
        "open": 3,
        "all": 4,
        "mine": 1,
        "unassigned": 2,
        "overdue": 1,
        "my_skills": 3,
        "without_skill": 0,
        "relances": 0,
    }


async def test_an_agent_without_skills_gets_an_empty_mine_list_and_a_hint(
    client: httpx.AsyncClient, people: People
) -> None:
    member = people.member("MEL")
    newcomer = people.agent("MEL", skills=[])
    await send(client, member)
    mine = await _queue(client, newcomer.headers, skill="mine")
    assert mine["data"] == []
    assert mine["next_cursor"] is None
    assert "aucune compétence" in mine["hint"]
    assert "« Toutes »" in mine["hint"]
    # Nothing is hidden: without the skill filter the whole queue is there.
    assert len(references(await _queue(client, newcomer.headers))) == 1
    assert (await _queue(client, newcomer.headers))["hint"] is None
    counts = (await client.get("/agent/threads/counts", headers=newcomer.headers)).json()
    assert (counts["open"], counts["my_skills"]) == (1, 0)


async def test_claiming_or_assigning_outside_skills_is_done_and_says_so(
    client: httpx.AsyncClient, people: People, directory: Directory
) -> None:
    member = people.member("MOS")
    sante_agent = people.agent("MOS", given_name="Inès", family_name="MOREAU", skills=["sante"])
    famille_agent = people.agent("MOS", given_name="Luc", family_name="PETIT", skills=["famille"])
    supervisor = people.agent("MOS", role="supervisor", given_name="Anne", family_name="ROUX")
    await directory.lists(sante_agent, famille_agent)
    claimed = (await send(client, member)).json()
    assigned = (await send(client, member, motif="af-autre")).json()
    unchecked = (await send(client, member)).json()

    claim = await client.post(
        f"/agent/threads/{claimed['thread_id']}/claim", headers=sante_agent.headers
    )
    assert claim.status_code == 200, claim.text
    assert claim.json()["assignee"]["name"] == "Inès MOREAU"
    [warning] = claim.json()["warnings"]
    assert warning["code"] == "outside-skills"
    assert f"« {FAMILLE} »" in warning["message"]
    within = await client.post(
        f"/agent/threads/{assigned['thread_id']}/claim", headers=famille_agent.headers
    )
    assert within.json()["warnings"] == []

    target = {"agent_id": str(sante_agent.id)}
    outside = await client.post(
        f"/agent/threads/{assigned['thread_id']}/assign", json=target, headers=supervisor.headers
    )
    assert outside.status_code == 200, outside.text
    assert outside.json()["assignee"] == {"id": str(sante_agent.id), "name": "Inès MOREAU"}
    [warning] = outside.json()["warnings"]
    assert warning["code"] == "assignee-outside-skills"
    assert warning["message"].startswith("Inès MOREAU n'a pas la compétence « Famille")
    fitting = await client.post(
        f"/agent/threads/{unchecked['thread_id']}/assign",
        json={"agent_id": str(famille_agent.id)},
        headers=supervisor.headers,
    )
    assert fitting.json()["warnings"] == []
    # Skills claimed in the body change nothing: the directory's are checked.
    claimed_skills = await client.post(
        f"/agent/threads/{unchecked['thread_id']}/assign",
        json=target | {"agent_name": "Luc PETIT", "agent_skills": ["famille"]},
        headers=supervisor.headers,
    )
    assert claimed_skills.json()["assignee"] == {"id": str(sante_agent.id), "name": "Inès MOREAU"}
    assert [w["code"] for w in claimed_skills.json()["warnings"]] == ["assignee-outside-skills"]

    # What a supervisor gave an agent stays in that agent's own view, outside their skills.
    sante_mine = await _queue(client, sante_agent.headers, skill="mine")
    assert sorted(references(sante_mine)) == sorted(
        [claimed["reference"], assigned["reference"], unchecked["reference"]]
    )
    assert references(await _queue(client, sante_agent.headers, skill="sante")) == []
    counts = (await client.get("/agent/threads/counts", headers=sante_agent.headers)).json()
    assert counts["my_skills"] == 3
    famille_counts = (
        await client.get("/agent/threads/counts", headers=famille_agent.headers)
    ).json()
    assert famille_counts["my_skills"] == 3  # famille threads, whoever has them


async def test_threads_whose_skill_is_not_known_are_listed_and_counted_apart(
    app: FastAPI, client: httpx.AsyncClient, people: People
) -> None:
    member = people.member("PIC")
    agent = people.agent("PIC", skills=["famille"])
    known = (await send(client, member)).json()
    unknown = (await send(client, member)).json()
    async with app.state.runtime.engine.begin() as connection:
        await connection.execute(
            update(THREADS)
            .where(THREADS.c.id == uuid.UUID(unknown["thread_id"]))
            .values(skill=None)
        )
    assert references(await _queue(client, agent.headers, skill="none")) == [unknown["reference"]]
    assert references(await _queue(client, agent.headers, skill="mine")) == [known["reference"]]
    assert len(references(await _queue(client, agent.headers))) == 2
    detail = (
        await client.get(f"/agent/threads/{unknown['thread_id']}", headers=agent.headers)
    ).json()
    assert detail["skill"] is None
    claim = await client.post(f"/agent/threads/{unknown['thread_id']}/claim", headers=agent.headers)
    assert claim.json()["warnings"] == []
    counts = (await client.get("/agent/threads/counts", headers=agent.headers)).json()
    assert (counts["open"], counts["my_skills"], counts["without_skill"]) == (2, 2, 1)
