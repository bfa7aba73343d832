"""Agents: logins for the back office, managed by admins (all funds) and supervisors (their fund);
demo accounts seeded only in the local environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from services.auth.tests.support import (
    AGENT_PASSWORD,
    DEMO_AGENTS,
    AuthApp,
    agent_bearer,
    created_agent,
    new_agent,
    registered_member,
    reset_token_sent_to,
    seed_demo_accounts,
)

pytestmark = pytest.mark.integration


async def test_the_seed_is_idempotent_and_prints_the_demo_credentials(seeded: AuthApp) -> None:
    lines = await seed_demo_accounts(seeded)
    assert len(lines) == 8
    assert all(line.startswith("DEMO ") for line in lines)
    assert any("Camille MARTIN" in line and "NIR 2951099126111" in line for line in lines)
    assert any("agent.npc@msa.example" in line for line in lines)


async def test_agent_login_gives_role_fund_and_skills(seeded: AuthApp) -> None:
    async with seeded.client() as backoffice:
        response = await backoffice.post(
            "/agents/session",
            json={"email": "Agent.NPC@msa.example", "password": DEMO_AGENTS["agent"][1]},
        )
        assert response.status_code == 200, response.text
        profile = response.json()["profile"]
        assert profile["kind"] == "agent"
        assert profile["role"] == "agent"
        assert profile["fund"] == "NPC"
        assert "famille" in profile["skills"]
        assert (await backoffice.get("/me")).json()["email"] == "agent.npc@msa.example"


async def test_an_admin_manages_agents_of_every_fund(seeded: AuthApp) -> None:
    admin = await agent_bearer(seeded, "admin")
    async with seeded.client() as tool:
        created = await tool.post(
            "/agents", json=new_agent(fund="CNO", role="supervisor"), headers=admin
        )
        assert created.status_code == 201, created.text
        agent = created.json()
        listed = await tool.get("/agents", headers=admin)
        assert {a["fund"] for a in listed.json()["data"]} >= {"NPC", "CNO"}
        duplicate = await tool.post("/agents", json=new_agent(email=agent["email"]), headers=admin)
        assert duplicate.status_code == 409
        assert "déjà" in duplicate.json()["detail"]
        patched = await tool.patch(
            f"/agents/{agent['id']}", json={"skills": ["retraite", "sante"]}, headers=admin
        )
        assert patched.json()["skills"] == ["retraite", "sante"]


async def test_nobody_gives_an_agent_a_password_at_creation(seeded: AuthApp) -> None:
    """A manager or a tool never sets an agent's password: a ``password`` is refused, in
    French, and nothing is created; without one, the agent is sent a link."""
    admin = await agent_bearer(seeded, "admin")
    form = new_agent()
    async with seeded.client() as tool:
        refused = await tool.post(
            "/agents", json=form | {"password": "Je-Choisis-Pour-Toi-2026"}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in refused.json()["errors"]] == ["password"]
        assert "lien" in refused.json()["detail"]
        listed = (await tool.get("/agents", headers=admin)).json()["data"]
        assert form["email"] not in [agent["email"] for agent in listed]

        created = await tool.post("/agents", json=form, headers=admin)
        assert created.status_code == 201, created.text
        assert "password" not in created.text
        assert await reset_token_sent_to(seeded, created.json()["id"])


async def test_a_supervisor_manages_only_their_fund(seeded: AuthApp) -> None:
    supervisor = await agent_bearer(seeded, "supervisor")
    async with seeded.client() as tool:
        own = await tool.post("/agents", json=new_agent(), headers=supervisor)
        assert own.status_code == 201
        other_fund = await tool.post("/agents", json=new_agent(fund="CNO"), headers=supervisor)
        assert other_fund.status_code == 403
        admin_role = await tool.post("/agents", json=new_agent(role="admin"), headers=supervisor)
        assert admin_role.status_code == 403
        listed = await tool.get("/agents", headers=supervisor, params={"fund": "CNO"})
        assert {a["fund"] for a in listed.json()["data"]} == {"NPC"}

        admin = await agent_bearer(seeded, "admin")
        elsewhere = (await tool.post("/agents", json=new_agent(fund="CNO"), headers=admin)).json()
        hidden = await tool.get(f"/agents/{elsewhere['id']}", headers=supervisor)
        assert hidden.status_code == 404, "another fund's agent does not exist for a supervisor"
        hidden_patch = await tool.patch(
            f"/agents/{elsewhere['id']}", json={"active": False}, headers=supervisor
        )
        assert hidden_patch.status_code == 404


async def test_agents_and_members_cannot_manage_agents(seeded: AuthApp) -> None:
    agent = await agent_bearer(seeded, "agent")
    nir, password = await registered_member(seeded)
    async with seeded.client() as tool:
        assert (await tool.get("/agents", headers=agent)).status_code == 403
        member = await tool.post(
            "/session", json={"nir": nir, "password": password, "bearer": True}
        )
        member_headers = {"Authorization": f"Bearer {member.json()['access_token']}"}
        assert (await tool.get("/agents", headers=member_headers)).status_code == 403
        assert (await tool.get("/agents")).status_code == 401


async def test_a_deactivated_agent_is_logged_out_and_cannot_log_in(seeded: AuthApp) -> None:
    admin = await agent_bearer(seeded, "admin")
    agent = await created_agent(seeded, admin)
    form = {"email": agent["email"], "password": AGENT_PASSWORD}
    async with seeded.client() as tool:
        session = await tool.post(
            "/agents/session",
            json={"email": form["email"], "password": form["password"], "bearer": True},
        )
        token = {"Authorization": f"Bearer {session.json()['access_token']}"}
        assert (await tool.get("/me", headers=token)).status_code == 200
        await tool.patch(f"/agents/{agent['id']}", json={"active": False}, headers=admin)
        assert (await tool.get("/me", headers=token)).status_code == 401
        refused = await tool.post(
            "/agents/session", json={"email": form["email"], "password": form["password"]}
        )
        assert refused.status_code == 401


def run_cli(*args: str, environment: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | {"ENVIRONMENT": environment, "AUTH_DATABASE_URL": database_url}
    if environment not in ("local", "test"):
        # Outside local and test the settings refuse the local secrets.
        env |= {
            "AUTH_SIGNING_KEY_PASSPHRASE": "a-real-secret-passphrase",
            "AUTH_FRANCECONNECT_CLIENT_SECRET": "a-real-client-secret",
        }
    return subprocess.run(
        [sys.executable, "-m", "auth", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_seed_refuses_to_run_outside_the_local_environment(
    auth_database_url: str,
) -> None:
    refused = run_cli("setup-local", environment="production", database_url=auth_database_url)
    assert refused.returncode == 2
    assert "only runs in the local environment" in refused.stderr
    assert "DEMO" not in refused.stdout


async def test_create_agent_command(auth_database_url: str, seeded: AuthApp) -> None:
    created = run_cli(
        "create-agent",
        "--email",
        "cli.agent@msa.example",
        "--given-name",
        "Inès",
        "--family-name",
        "FAURE",
        "--role",
        "supervisor",
        "--fund",
        "CNO",
        "--skills",
        "famille,retraite",
        environment="local",
        database_url=auth_database_url,
    )
    assert created.returncode == 0, created.stderr
    assert "password" not in created.stdout.replace("a link to choose their password", "")
    agent_id = created.stdout.split()[1]
    token = await reset_token_sent_to(seeded, agent_id)
    async with seeded.client() as backoffice:
        chosen = await backoffice.post(
            "/agents/password/reset", json={"token": token, "password": AGENT_PASSWORD}
        )
        assert chosen.status_code == 204, chosen.text
        response = await backoffice.post(
            "/agents/session", json={"email": "cli.agent@msa.example", "password": AGENT_PASSWORD}
        )
    assert response.status_code == 200
    assert response.json()["profile"]["role"] == "supervisor"
    again = run_cli(
        "create-agent",
        "--email",
        "cli.agent@msa.example",
        "--given-name",
        "Inès",
        "--family-name",
        "FAURE",
        "--role",
        "agent",
        "--fund",
        "CNO",
        environment="local",
        database_url=auth_database_url,
    )
    assert again.returncode == 2


async def test_rotate_keys_command(auth_database_url: str, seeded: AuthApp) -> None:
    rotated = run_cli("rotate-keys", "--force", environment="local", database_url=auth_database_url)
    assert rotated.returncode == 0, rotated.stderr
    assert "now signs new tokens" in rotated.stdout
    waiting = run_cli("rotate-keys", environment="local", database_url=auth_database_url)
    assert waiting.returncode == 1
    assert "run again after" in waiting.stdout
