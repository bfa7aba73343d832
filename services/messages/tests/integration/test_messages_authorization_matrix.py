"""Who may do what: every cross access answers 404 (someone else's thread) or 403
(the wrong kind of account), and 401 without a token."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from servicekit.security import CSRF_HEADER, access_cookie
from servicekit.testing import TokenMinter
from services.messages.tests.support import Caller, Directory, People, send

pytestmark = pytest.mark.integration

MEMBER_ENDPOINTS = [
    ("POST", "/messages/prepare"),
    ("POST", "/threads"),
    ("GET", "/threads"),
    ("GET", "/threads/{thread}"),
    ("POST", "/threads/{thread}/messages"),
]
AGENT_ENDPOINTS = [
    ("GET", "/agent/threads"),
    ("GET", "/agent/threads/counts"),
    ("GET", "/agent/threads/{thread}"),
    ("POST", "/agent/threads/{thread}/claim"),
    ("POST", "/agent/threads/{thread}/replies"),
    ("POST", "/agent/threads/{thread}/notes"),
    ("POST", "/agent/threads/{thread}/close"),
    ("POST", "/agent/threads/{thread}/reopen"),
    ("GET", "/agent/threads/{thread}/canned-replies/{canned}"),
    ("GET", "/agent/canned-replies"),
]
SUPERVISOR_ENDPOINTS = [
    ("POST", "/agent/threads/{thread}/assign"),
    ("GET", "/agent/threads/{thread}/audit"),
    ("GET", "/agent/audit"),
    ("POST", "/agent/canned-replies"),
    ("PUT", "/agent/canned-replies/{canned}"),
    ("DELETE", "/agent/canned-replies/{canned}"),
]
#: Endpoints about one thread, which another member or another fund must not find.
THREAD_ENDPOINTS = [
    (method, path) for method, path in AGENT_ENDPOINTS + SUPERVISOR_ENDPOINTS if "{thread}" in path
]

#: The agent supervisors give the thread to: listed by the directory of agents.
ASSIGNEE = Caller(
    uuid.uuid4(),
    "CNO",
    {},
    given_name="Luc",
    family_name="PETIT",
    role="agent",
    skills=("famille",),
)

BODIES: dict[str, dict[str, Any]] = {
    "/messages/prepare": {
        "theme": "famille",
        "subject": "famille-allocations",
        "motif": "af-autre",
        "text": "Une question sur mes allocations.",
    },
    "/threads": {
        "theme": "famille",
        "subject": "famille-allocations",
        "motif": "af-autre",
        "text": "Une question sur mes allocations.",
    },
    "/threads/{thread}/messages": {"text": "Une relance sur ma demande."},
    "/agent/threads/{thread}/replies": {"text": "Une réponse de la caisse."},
    "/agent/threads/{thread}/notes": {"text": "Une note interne."},
    "/agent/threads/{thread}/assign": {"agent_id": str(ASSIGNEE.id)},
    "/agent/canned-replies": {"title": "Titre", "body": "Bonjour {prenom}"},
    "/agent/canned-replies/{canned}": {"title": "Titre", "body": "Bonjour {prenom}"},
}


async def call(
    client: httpx.AsyncClient,
    caller: Caller | None,
    method: str,
    path: str,
    *,
    thread: str,
    canned: str,
) -> httpx.Response:
    headers = dict(caller.headers) if caller else {}
    headers["Idempotency-Key"] = str(uuid.uuid4())
    body = BODIES.get(path) if method in ("POST", "PUT") else None
    return await client.request(
        method, path.format(thread=thread, canned=canned), json=body, headers=headers
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, people: People, directory: Directory) -> dict[str, Any]:
    await directory.lists(ASSIGNEE)
    member_a = people.member("CNO", "Jeanne", "LEFEBVRE")
    supervisor_x = people.agent("CNO", role="supervisor")
    thread = (await send(client, member_a)).json()["thread_id"]
    canned = (
        await client.post(
            "/agent/canned-replies",
            json={"title": "Accusé", "body": "Bonjour {prenom}"},
            headers=supervisor_x.headers,
        )
    ).json()["id"]
    return {
        "member_a": member_a,
        "member_b": people.member("CNO"),
        "agent_x": people.agent("CNO"),
        "supervisor_x": supervisor_x,
        "agent_y": people.agent("COR"),
        "supervisor_y": people.agent("COR", role="supervisor"),
        "thread": thread,
        "canned": canned,
    }


async def test_without_a_token_everything_answers_401(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for method, path in MEMBER_ENDPOINTS + AGENT_ENDPOINTS + SUPERVISOR_ENDPOINTS:
        response = await call(
            client, None, method, path, thread=world["thread"], canned=world["canned"]
        )
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"


async def test_another_member_never_finds_the_thread(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    member_b: Caller = world["member_b"]
    for method, path in [("GET", "/threads/{thread}"), ("POST", "/threads/{thread}/messages")]:
        response = await call(
            client, member_b, method, path, thread=world["thread"], canned=world["canned"]
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["detail"] == "Cette demande est introuvable."
    listed = await client.get("/threads", headers=member_b.headers)
    assert listed.json()["data"] == []
    unknown = await client.get(f"/threads/{uuid.uuid4()}", headers=world["member_a"].headers)
    assert unknown.status_code == 404
    assert unknown.json() | {"instance": None} == (
        await client.get(f"/threads/{world['thread']}", headers=member_b.headers)
    ).json() | {"instance": None}


async def test_members_are_refused_the_agents_endpoints(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for method, path in AGENT_ENDPOINTS + SUPERVISOR_ENDPOINTS:
        response = await call(
            client, world["member_a"], method, path, thread=world["thread"], canned=world["canned"]
        )
        assert response.status_code == 403, (method, path)


async def test_agents_are_refused_the_members_endpoints(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for caller in (world["agent_x"], world["supervisor_x"]):
        for method, path in MEMBER_ENDPOINTS:
            response = await call(
                client, caller, method, path, thread=world["thread"], canned=world["canned"]
            )
            assert response.status_code == 403, (method, path)


async def test_agents_are_refused_the_supervisors_endpoints(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for method, path in SUPERVISOR_ENDPOINTS:
        response = await call(
            client, world["agent_x"], method, path, thread=world["thread"], canned=world["canned"]
        )
        assert response.status_code == 403, (method, path)


async def test_another_funds_agents_never_find_the_thread_nor_its_canned_replies(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for caller in (world["agent_y"], world["supervisor_y"]):
        for method, path in THREAD_ENDPOINTS:
            if path in {p for _, p in SUPERVISOR_ENDPOINTS} and caller is world["agent_y"]:
                continue
            response = await call(
                client, caller, method, path, thread=world["thread"], canned=world["canned"]
            )
            assert response.status_code == 404, (caller, method, path)
    for method in ("PUT", "DELETE"):
        response = await call(
            client,
            world["supervisor_y"],
            method,
            "/agent/canned-replies/{canned}",
            thread=world["thread"],
            canned=world["canned"],
        )
        assert response.status_code == 404, method
    queue = await client.get(
        "/agent/threads", params={"status": "all"}, headers=world["agent_y"].headers
    )
    assert world["thread"] not in {thread["id"] for thread in queue.json()["data"]}
    audit = await client.get("/agent/audit", headers=world["supervisor_y"].headers)
    assert world["thread"] not in {entry["thread_id"] for entry in audit.json()["data"]}


async def test_the_funds_own_agents_reach_the_thread(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    for method, path in THREAD_ENDPOINTS:
        caller = world["supervisor_x"]
        response = await call(
            client, caller, method, path, thread=world["thread"], canned=world["canned"]
        )
        assert response.status_code in (200, 201, 409), (method, path, response.text)


async def test_a_browser_request_needs_its_csrf_token(
    client: httpx.AsyncClient, minter: TokenMinter
) -> None:
    token = minter.mint(
        api="messages", kind="member", fund="NPC", csrf="le-jeton-csrf", given_name="Camille"
    )
    cookies = {access_cookie("portal", "messages", secure=False): token}
    body = BODIES["/threads"]
    client.cookies.update(cookies)
    try:
        forged = await client.post("/threads", json=body, headers={"Idempotency-Key": "k1"})
        assert forged.status_code == 403
        genuine = await client.post(
            "/threads",
            json=body,
            headers={"Idempotency-Key": "k1", CSRF_HEADER: "le-jeton-csrf"},
        )
        assert genuine.status_code == 201
        assert (await client.get("/threads")).status_code == 200
    finally:
        client.cookies.clear()
