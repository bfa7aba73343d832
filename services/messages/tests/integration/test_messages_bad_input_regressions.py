"""Bad input found by attacking the service from outside gets a clear 4xx, never a 500: texts
PostgreSQL cannot store (NUL, lone surrogate) in every field a member or an agent types, and a
forged cursor on the audit of a thread that exists (not only on a thread nobody has)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from services.messages.tests.support import Caller, People, new_message, send

pytestmark = pytest.mark.integration

BAD = {"nul": "\x00", "lone surrogate": "\ud800"}


def forged(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


OVERFLOWING_CURSORS = [
    forged("0001-01-01T00:00:00+14:00", str(uuid.uuid4())),
    forged("9999-12-31T23:59:59-14:00", str(uuid.uuid4())),
]


async def post_json(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], caller: Caller
) -> httpx.Response:
    """The body escaped as JSON allows (``\\u0000``, ``\\ud800``): httpx's own encoder would
    refuse the lone surrogate."""
    headers = caller.headers | {
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    return await client.post(path, content=json.dumps(body).encode(), headers=headers)


async def a_thread(client: httpx.AsyncClient, member: Caller) -> str:
    response = await send(client, member)
    assert response.status_code == 201, response.text
    thread_id: str = response.json()["thread_id"]
    return thread_id


@pytest.mark.parametrize("cursor", OVERFLOWING_CURSORS)
async def test_a_cursor_with_an_overflowing_date_on_a_real_threads_audit_is_a_400(
    client: httpx.AsyncClient, people: People, cursor: str
) -> None:
    member = people.member("CNO")
    supervisor = people.agent("CNO", role="supervisor")
    thread_id = await a_thread(client, member)
    opened = await client.get(f"/agent/threads/{thread_id}", headers=supervisor.headers)
    assert opened.status_code == 200, opened.text
    audit = await client.get(f"/agent/threads/{thread_id}/audit", headers=supervisor.headers)
    assert audit.status_code == 200, audit.text

    response = await client.get(
        f"/agent/threads/{thread_id}/audit", params={"cursor": cursor}, headers=supervisor.headers
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invalid-cursor")


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_a_member_text_that_cannot_be_stored_is_a_422_naming_the_field(
    client: httpx.AsyncClient, people: People, bad: str
) -> None:
    member = people.member("CNO")
    text = "Bonjour, je déménage" + bad + " le mois prochain."
    for path in ("/messages/prepare", "/threads"):
        response = await post_json(client, path, new_message(text=text), member)
        assert response.status_code == 422, (path, response.text)
        assert [error["field"] for error in response.json()["errors"]] == ["text"], path
    listed = await client.get("/threads", headers=member.headers)
    assert listed.json()["data"] == []  # nothing was stored


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_an_agent_text_that_cannot_be_stored_is_a_422_naming_the_field(
    client: httpx.AsyncClient, people: People, bad: str
) -> None:
    member = people.member("CNO")
    supervisor = people.agent("CNO", role="supervisor")
    thread_id = await a_thread(client, member)
    text = "Bonjour, votre dossier" + bad + " est complet."
    typed = [
        (f"/agent/threads/{thread_id}/notes", {"text": text}, "text"),
        (f"/agent/threads/{thread_id}/replies", {"text": text}, "text"),
        ("/agent/canned-replies", {"title": "Dossier" + bad, "body": "Complet."}, "title"),
        ("/agent/canned-replies", {"title": "Dossier", "body": text}, "body"),
    ]
    for path, body, field in typed:
        response = await post_json(client, path, body, supervisor)
        assert response.status_code == 422, (path, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field], path
    thread = await client.get(f"/agent/threads/{thread_id}", headers=supervisor.headers)
    assert "votre dossier" not in thread.text  # neither the note nor the reply was stored
