"""A page cursor from the outside, forged or altered, is a 400 ``invalid-cursor``: never a
500, whatever date or number it holds."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from services.messages.tests.support import People

pytestmark = pytest.mark.integration


def forged(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


CURSORS = [
    forged("0001-01-01T00:00:00+14:00", str(uuid.uuid4())),
    forged("9999-12-31T23:59:59-14:00", str(uuid.uuid4())),
    forged("0001-01-01T00:00:00+14:00", 1),
    forged("2026-12-03T09:15:00+00:00", 2**64),
    "////",
]


@pytest.mark.parametrize("cursor", CURSORS)
async def test_a_forged_cursor_is_a_400_on_every_paged_list(
    client: httpx.AsyncClient, people: People, cursor: str
) -> None:
    member = people.member("CNO")
    supervisor = people.agent("CNO", role="supervisor")
    pages = [
        (member, "/threads"),
        (supervisor, "/agent/threads"),
        (supervisor, "/agent/audit"),
    ]
    for caller, path in pages:
        response = await client.get(path, params={"cursor": cursor}, headers=caller.headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["type"].endswith("/invalid-cursor"), path
    # Someone else's (here: nobody's) thread stays a 404, whatever the cursor.
    response = await client.get(
        f"/agent/threads/{uuid.uuid4()}/audit",
        params={"cursor": cursor},
        headers=supervisor.headers,
    )
    assert response.status_code in (400, 404), response.text
    assert response.status_code < 500
