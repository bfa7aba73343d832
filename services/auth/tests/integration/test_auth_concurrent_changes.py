"""Changes that meet: each writes what it changes and nothing else, on a locked row."""

from __future__ import annotations

import asyncio

import pytest

from services.auth.tests.support import (
    AGENT_PASSWORD,
    AuthApp,
    HeldHashing,
    agent_bearer,
    created_agent,
    new_agent,
    reset_token_sent_to,
)

pytestmark = pytest.mark.integration

NEW_PASSWORD = "Nouvelle-Clef-2027"


async def test_a_deactivation_while_an_agent_chooses_a_password_by_link_stays(
    seeded: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A manager sends a link (never a password); the agent is deactivated while the link's
    password is being hashed: the deactivation waits for the row and stays."""
    admin = await agent_bearer(seeded, "admin")
    form = new_agent()
    async with seeded.client() as tool:
        agent = (await tool.post("/agents", json=form, headers=admin)).json()
        token = await reset_token_sent_to(seeded, agent["id"])
        hashing = HeldHashing(seeded, monkeypatch)
        changing = asyncio.create_task(
            tool.post("/agents/password/reset", json={"token": token, "password": NEW_PASSWORD})
        )
        await hashing.wait_started()
        deactivating = asyncio.create_task(
            tool.patch(f"/agents/{agent['id']}", json={"active": False}, headers=admin)
        )
        hashing.release()
        changed, deactivated = await changing, await deactivating
        assert changed.status_code == 204, changed.text
        assert deactivated.status_code == 200, deactivated.text

        assert (await tool.get(f"/agents/{agent['id']}", headers=admin)).json()["active"] is False
        refused = await tool.post(
            "/agents/session", json={"email": form["email"], "password": NEW_PASSWORD}
        )
        assert refused.status_code == 401


async def test_a_deactivation_during_an_agents_own_password_change_stays(
    seeded: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await agent_bearer(seeded, "admin")
    agent = await created_agent(seeded, admin)
    form = {"email": agent["email"], "password": AGENT_PASSWORD}
    async with seeded.client() as tool:
        session = await tool.post(
            "/agents/session",
            json={"email": form["email"], "password": form["password"], "bearer": True},
        )
        own = {"Authorization": f"Bearer {session.json()['access_token']}"}
        hashing = HeldHashing(seeded, monkeypatch)
        changing = asyncio.create_task(
            tool.post(
                "/password",
                json={"current_password": form["password"], "new_password": NEW_PASSWORD},
                headers=own,
            )
        )
        await hashing.wait_started()
        deactivated = await tool.patch(
            f"/agents/{agent['id']}", json={"active": False}, headers=admin
        )
        assert deactivated.status_code == 200, deactivated.text
        hashing.release()
        await changing

        assert (await tool.get(f"/agents/{agent['id']}", headers=admin)).json()["active"] is False
        for password in (form["password"], NEW_PASSWORD):
            refused = await tool.post(
                "/agents/session", json={"email": form["email"], "password": password}
            )
            assert refused.status_code == 401


async def test_a_password_changed_meanwhile_refuses_the_older_current_password(
    seeded: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs change the password from the same current one: the second is refused (its
    current password is no longer the current one), and the first one's password holds."""
    admin = await agent_bearer(seeded, "admin")
    agent = await created_agent(seeded, admin)
    form = {"email": agent["email"], "password": AGENT_PASSWORD}
    async with seeded.client() as tool:
        session = await tool.post(
            "/agents/session",
            json={"email": form["email"], "password": form["password"], "bearer": True},
        )
        own = {"Authorization": f"Bearer {session.json()['access_token']}"}
        hashing = HeldHashing(seeded, monkeypatch)
        slower = asyncio.create_task(
            tool.post(
                "/password",
                json={"current_password": form["password"], "new_password": "Autre-Clef-2028"},
                headers=own,
            )
        )
        await hashing.wait_started()
        monkeypatch.undo()  # the next change hashes at once
        first = await tool.post(
            "/password",
            json={"current_password": form["password"], "new_password": NEW_PASSWORD},
            headers=own,
        )
        assert first.status_code == 204, first.text
        hashing.release()
        second = await slower
        assert second.status_code == 400
        assert second.json()["type"].endswith("/wrong-password")
        kept = await tool.post(
            "/agents/session", json={"email": form["email"], "password": NEW_PASSWORD}
        )
        assert kept.status_code == 200
