"""Assignment checks the agent against the directory of agents (``auth.agents.v1``, kept by
the service's consumer from the real Kafka), never against what the request says."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.messages.tests.support import Directory, People, send

pytestmark = pytest.mark.integration


def _refused_in_french(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/unknown-agent")
    assert "choisissez un conseiller dans la liste" in problem["detail"]


async def test_only_an_active_agent_of_the_fund_in_the_directory_is_given_a_thread(
    client: httpx.AsyncClient, people: People, directory: Directory
) -> None:
    fund = "FCO"  # a fund no other test of the shared database writes to
    member = people.member(fund)
    supervisor = people.agent(fund, role="supervisor", given_name="Anne", family_name="ROUX")
    listed = people.agent(fund, given_name="Inès", family_name="MOREAU", skills=["famille"])
    leaving = people.agent(fund, given_name="Luc", family_name="PETIT")
    elsewhere = people.agent("ALS", given_name="Paul", family_name="GARNIER")
    await directory.lists(listed, leaving, elsewhere)
    thread_id = (await send(client, member)).json()["thread_id"]

    async def assign(agent_id: uuid.UUID, **claimed: object) -> httpx.Response:
        return await client.post(
            f"/agent/threads/{thread_id}/assign",
            json={"agent_id": str(agent_id), **claimed},
            headers=supervisor.headers,
        )

    # Someone the directory does not know, whatever name and skills the body gives them.
    _refused_in_french(
        await assign(uuid.uuid4(), agent_name="Faux CONSEILLER", agent_skills=["famille"])
    )
    # An agent of another fund.
    _refused_in_french(await assign(elsewhere.id))
    # The directory's name, not the body's.
    given = await assign(listed.id, agent_name="Quelqu'un d'autre")
    assert given.status_code == 200, given.text
    assert given.json()["assignee"] == {"id": str(listed.id), "name": "Inès MOREAU"}
    assert given.json()["warnings"] == []

    # Deactivated: the auth service publishes the agent again, inactive.
    assert (await assign(leaving.id)).status_code == 200
    await directory.lists(leaving, active=False)
    _refused_in_french(await assign(leaving.id))
    # Reactivated.
    await directory.lists(leaving)
    assert (await assign(leaving.id)).json()["assignee"]["name"] == "Luc PETIT"


async def test_an_unknown_thread_is_not_found_before_the_agent_is_checked(
    client: httpx.AsyncClient, people: People
) -> None:
    supervisor = people.agent("LOR", role="supervisor")
    response = await client.post(
        f"/agent/threads/{uuid.uuid4()}/assign",
        json={"agent_id": str(uuid.uuid4())},
        headers=supervisor.headers,
    )
    assert response.status_code == 404
