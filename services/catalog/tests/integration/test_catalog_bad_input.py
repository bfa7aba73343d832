"""Malformed input gets a clear 4xx problem, never a 500: an If-Match that is not ASCII, and
texts PostgreSQL cannot store (NUL, lone surrogates)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from catalog.domain.versions import Version

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "if_match",
    [
        b'"draft-\xb2"',  # "²" as the gateway passes it on (latin-1): isdigit() said yes
        '"draft-²"'.encode(),
        '"draft-١٢"'.encode(),  # Arabic-Indic digits
        b'"draft-12a"',
        b'"draft-1234567890"',
    ],
)
async def test_an_if_match_that_names_no_revision_is_a_412_problem(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any, if_match: bytes
) -> None:
    headers = tokens.as_admin() | {"If-Match": if_match}

    edit = await client.patch("/admin/nodes/af-autre", json={"label": "X"}, headers=headers)
    publication = await client.post("/admin/publish", headers=headers)

    for response in (edit, publication):
        assert response.status_code == 412, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/precondition-failed")
    draft = (await client.get("/admin/draft", headers=tokens.as_admin())).json()
    assert draft["changes"] == []


async def test_a_well_formed_if_match_still_works(
    client: httpx.AsyncClient, reference_published: Version, tokens: Any
) -> None:
    admin = tokens.as_admin()
    revision = (await client.get("/admin/draft", headers=admin)).json()["revision"]

    for if_match in (f'"draft-{revision}"', f'W/"draft-{revision + 1}"', "*"):
        response = await client.patch(
            "/admin/nodes/af-autre",
            json={"label": f"Autre {if_match}"},
            headers=admin | {"If-Match": if_match},
        )
        assert response.status_code == 200, (if_match, response.text)


@pytest.mark.parametrize("bad", ["Autre\x00demande", "Autre \ud800 demande"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "/admin/nodes/af-autre", {"label": "{bad}"}, "label"),
        (
            "POST",
            "/admin/nodes",
            {"code": "x-nouveau", "label": "{bad}", "parent": None},
            "label",
        ),
        (
            "PUT",
            "/admin/nodes/af-autre/online-service",
            {"title": "T", "url": "https://www.msa.fr/", "description": "{bad}"},
            "description",
        ),
        (
            "PUT",
            "/admin/nodes/af-autre/online-service",
            {"title": "T", "url": "https://www.msa.fr/", "call_to_action": "{bad}"},
            "call_to_action",
        ),
    ],
)
async def test_a_text_postgresql_cannot_store_is_refused_with_its_field(
    client: httpx.AsyncClient,
    reference_published: Version,
    tokens: Any,
    bad: str,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    sent = {key: bad if value == "{bad}" else value for key, value in body.items()}
    # Escaped (\u0000, \ud800), as a browser's JSON.stringify or a tool would send them.
    response = await client.request(
        method,
        path,
        content=json.dumps(sent).encode("ascii"),
        headers=tokens.as_admin() | {"Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert "caractère" in problem["detail"]
    draft = (await client.get("/admin/draft", headers=tokens.as_admin())).json()
    assert draft["changes"] == []
