"""Every error leaves a service as problem+json, in French, without internals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field, SecretStr

from servicekit.http import create_service_app
from servicekit.problems import Problem
from servicekit.runtime import ServiceRuntime
from servicekit.security import StaticKeySet
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter

pytestmark = pytest.mark.unit


class Body(BaseModel):
    text: str = Field(min_length=10)
    count: int


class KitSettings(ServiceSettings):
    service_name: str = "kit"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    @router.get("/conflict")
    async def conflict() -> None:
        raise Problem(
            409, "already-claimed", "Cette demande est déjà prise en charge.", owner="Alice"
        )

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await runtime.engine.dispose()


async def test_invalid_input_is_422_with_french_field_messages(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"text": "court", "count": "beaucoup"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/invalid-request")
    fields = {error["field"]: error["message"] for error in body["errors"]}
    assert fields == {
        "text": "Ce champ est trop court.",
        "count": "Ce champ doit être un nombre entier.",
    }


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["status"] == 422


async def test_a_body_that_is_not_utf8_is_a_french_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=b'{"text": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert "JSON" in response.json()["detail"]
    assert "error" not in response.json()["detail"]


async def test_a_domain_problem_keeps_its_type_and_extensions(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    body = response.json()
    assert body == {
        "type": "https://mes-messages.msa.fr/problems/already-claimed",
        "title": "Conflit",
        "status": 409,
        "detail": "Cette demande est déjà prise en charge.",
        "instance": "/conflict",
        "owner": "Alice",
    }


async def test_an_unexpected_error_is_a_french_500_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert response.json()["detail"].startswith("Une erreur inattendue")


async def test_unknown_addresses_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = await client.delete("/echo")
    assert wrong_method.status_code == 405


async def test_responses_carry_a_request_id_and_are_not_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_docs_need_no_cdn_and_no_inline_script(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text
    assert "<script>" not in page.text
    asset = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert (await client.get("/docs/assets/..%2Fetc%2Fpasswd")).status_code == 404
