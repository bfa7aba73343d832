"""The directory of agents (``auth.agents.v1``): every agent's state, as it changes, on the
real Kafka, where the messages service reads whom threads may be given to."""

from __future__ import annotations

import pytest

from contracts.topics import AGENTS
from services.auth.tests.support import AuthApp, EventLog, agent_bearer, new_agent

pytestmark = pytest.mark.integration


async def test_agents_are_published_when_created_changed_and_deactivated(
    seeded: AuthApp, kafka_bootstrap: str, kafka_topic_prefix: str
) -> None:
    directory = EventLog(kafka_bootstrap, kafka_topic_prefix, [AGENTS])
    await directory.start()
    try:
        # The demo seed publishes its agents, so a fresh directory lists them.
        await directory.wait_for(
            lambda _topic, _key, value: value is not None and value["family_name"] == "BERNARD",
            what="a demo agent",
        )
        admin = await agent_bearer(seeded, "admin")
        async with seeded.client() as tool:
            created = await tool.post("/agents", json=new_agent(), headers=admin)
            assert created.status_code == 201, created.text
            agent_id = created.json()["id"]
            _, _, first = await directory.wait_for(
                lambda _topic, key, value: key == agent_id and value is not None,
                what="the new agent",
            )
            assert first is not None
            assert (first["fund"], first["role"], first["skills"], first["active"]) == (
                "NPC",
                "agent",
                ["famille"],
                True,
            )
            assert first["given_name"] == "Hugo"
            assert "email" not in first
            assert "password_hash" not in first

            changed = await tool.patch(
                f"/agents/{agent_id}", json={"skills": ["famille", "sante"]}, headers=admin
            )
            assert changed.status_code == 200, changed.text
            await directory.wait_for(
                lambda _topic, key, value: (
                    key == agent_id
                    and value is not None
                    and value["skills"] == ["famille", "sante"]
                ),
                what="the new skills",
            )
            gone = await tool.patch(f"/agents/{agent_id}", json={"active": False}, headers=admin)
            assert gone.status_code == 200, gone.text
            await directory.wait_for(
                lambda _topic, key, value: (
                    key == agent_id and value is not None and value["active"] is False
                ),
                what="the deactivation",
            )
    finally:
        await directory.stop()
