"""Texts PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate) in any field a
person types into the auth service (the login number and password, an agent's email, a new
member's names and email, an agent created by an admin) get a 422 naming the field, never a
500, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.auth.tests.support import AuthApp, agent_bearer, member_form, new_agent

pytestmark = pytest.mark.integration

BAD = {"nul": "\x00", "lone surrogate": "\ud800"}


def with_bad(text: str, bad: str) -> str:
    return text[:3] + bad + text[3:]


def json_bytes(body: dict[str, Any]) -> bytes:
    """The body as a client that escapes what it cannot encode sends it (``\\u0000``,
    ``\\ud800``): httpx's own encoder would refuse the lone surrogate."""
    return json.dumps(body).encode()


LOGINS = [
    ("/session", {"nir": "2951099126111", "password": "Bleuet-Colza-2026"}, "nir"),
    ("/session", {"nir": "2951099126111", "password": "Bleuet-Colza-2026"}, "password"),
    ("/agents/session", {"email": "agent.npc@msa.example", "password": "x-2026"}, "email"),
]


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("path", "body", "field"), LOGINS)
async def test_a_login_with_a_character_that_cannot_be_stored_is_a_422_naming_the_field(
    auth_app: AuthApp, bad: str, path: str, body: dict[str, str], field: str
) -> None:
    body = body | {field: with_bad(body[field], bad)}
    async with auth_app.client() as browser:
        response = await browser.post(
            path, content=json_bytes(body), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("field", ["family_name", "email", "password"])
async def test_a_registration_with_a_character_that_cannot_be_stored_is_a_422(
    auth_app: AuthApp, bad: str, field: str
) -> None:
    form = member_form()
    form[field] = with_bad(form[field], bad)
    async with auth_app.client() as browser:
        response = await browser.post(
            "/members", content=json_bytes(form), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("field", ["given_name", "family_name", "email"])
async def test_an_agent_created_with_a_character_that_cannot_be_stored_is_a_422(
    seeded: AuthApp, bad: str, field: str
) -> None:
    auth_app = seeded
    admin = await agent_bearer(auth_app, "admin")
    agent = new_agent()
    agent[field] = with_bad(agent[field], bad)
    async with auth_app.client() as tool:
        before = await tool.get("/agents", headers=admin)
        response = await tool.post(
            "/agents",
            content=json_bytes(agent),
            headers=admin | {"Content-Type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
        listed = await tool.get("/agents", headers=admin)
    assert listed.status_code == 200
    # Nothing of the refused agent was stored (other tests create agents in this database).
    assert listed.json()["data"] == before.json()["data"]
