"""Bad bytes get a clear answer before any route runs, and a failure never reaches the server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, SecretStr
from sqlalchemy import text

from servicekit.guard import BINARY_UPLOAD
from servicekit.http import create_service_app
from servicekit.problems import PROBLEM_MEDIA_TYPE
from servicekit.runtime import ServiceRuntime
from servicekit.security import StaticKeySet
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter

pytestmark = pytest.mark.unit


class Body(BaseModel):
    text: str
    tags: list[str] = []


class KitSettings(ServiceSettings):
    service_name: str = "kit"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()
    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))

    @router.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    @router.get("/search")
    async def search(q: str = Query()) -> dict[str, str]:
        return {"q": q}

    @router.get("/count")
    async def count() -> dict[str, int]:
        async with runtime.sessions() as session:  # the database at 127.0.0.1:1 refuses
            return {"count": (await session.execute(text("SELECT 1"))).scalar_one()}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    # raise_app_exceptions=True: an exception reaching the server would fail the request here,
    # as it would make uvicorn close the connection in production.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await runtime.engine.dispose()


def post_raw(client: httpx.AsyncClient, body: bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return client.post("/echo", content=body, headers={"content-type": content_type})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (rb'{"text": "bonjour\u0000"}', "text"),
        (rb'{"text": "bonjour \ud800 madame"}', "text"),
        (rb'{"text": "ok", "tags": ["a", "\udfff"]}', "tags.1"),
    ],
)
async def test_nul_and_lone_surrogates_are_422_naming_the_field(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await post_raw(client, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert "caractère non autorisé" in problem["detail"]


async def test_paired_surrogates_such_as_emoji_pass(client: httpx.AsyncClient) -> None:
    response = await post_raw(client, rb'{"text": "merci \ud83d\ude00"}')
    assert response.status_code == 200
    assert response.json()["text"] == "merci 😀"


async def test_a_nul_in_the_query_is_422_naming_the_parameter(client: httpx.AsyncClient) -> None:
    response = await client.get("/search?q=abc%00def")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"]
)
async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient, content_type: str) -> None:
    response = await post_raw(client, b'{"text": "bonjour"}', content_type)
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_a_body_without_content_type_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b'{"text": "bonjour"}')
    assert response.status_code == 415


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "iso-8859-1"])
async def test_a_charset_other_than_utf8_is_415(client: httpx.AsyncClient, charset: str) -> None:
    response = await post_raw(
        client, '{"text": "été"}'.encode(charset), f"application/json; charset={charset}"
    )
    assert response.status_code == 415
    assert "UTF-8" in response.json()["detail"]


async def test_bytes_that_are_not_utf8_are_400(client: httpx.AsyncClient) -> None:
    response = await post_raw(client, '{"text": "été"}'.encode("latin-1"))
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_utf8_json_with_its_charset_passes(client: httpx.AsyncClient) -> None:
    response = await post_raw(client, '{"text": "été"}'.encode(), "application/json; charset=UTF-8")
    assert response.status_code == 200


async def test_a_failing_route_answers_a_complete_500_and_the_server_sees_no_exception(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "secret" not in response.text
    assert (await client.get("/search?q=ok")).json() == {"q": "ok"}


async def test_a_database_that_is_away_is_a_503_to_retry_not_a_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        response = await client.get("/count")
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.headers["retry-after"] == "5"
        assert response.json()["type"].endswith("/unavailable")
        assert "réessayez" in response.json()["detail"]
    assert "Traceback" not in caplog.text


async def test_a_405_lists_every_method_the_path_answers() -> None:
    router = APIRouter()

    @router.get("/things/{thing}")
    async def read(thing: str) -> dict[str, str]:
        return {"thing": thing}

    @router.delete("/things/{thing}")
    async def remove(thing: str) -> None:
        return None

    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.put("/things/a", json={})
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert {method.strip() for method in response.headers["allow"].split(",")} == {
        "GET",
        "DELETE",
    }


def test_the_openapi_document_says_what_the_guard_may_answer() -> None:
    router = APIRouter()

    @router.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    @router.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    paths = app.openapi()["paths"]
    assert {"400", "413", "415", "422", "431", "503"} <= set(paths["/echo"]["post"]["responses"])
    assert {"431", "503"} <= set(paths["/ping"]["get"]["responses"])
    assert "415" not in paths["/ping"]["get"]["responses"]
    # The 422 is a problem, not FastAPI's own validation body.
    assert set(paths["/echo"]["post"]["responses"]["422"]["content"]) == {PROBLEM_MEDIA_TYPE}


@pytest.mark.parametrize("root_path", ["", "/api/kit"])
async def test_a_route_that_takes_a_file_gets_its_bytes_under_a_root_path_too(
    root_path: str,
) -> None:
    """A file upload (``BINARY_UPLOAD``) is streamed to its route whatever its media type,
    also when the service runs under the gateway's prefix (uvicorn's ``--root-path``), where
    the request's path carries the prefix; any other route still refuses such a body."""
    router = APIRouter()
    settings = KitSettings(database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))

    @router.post("/files/{folder}", openapi_extra={BINARY_UPLOAD: True})
    async def upload(folder: str, request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @router.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True, root_path=root_path)
    octets = {"content-type": "application/octet-stream"}
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        stored = await http.post(f"{root_path}/files/a", content=b"\x00\xff" * 1000, headers=octets)
        refused = await http.post(f"{root_path}/echo", content=b"\x00\xff", headers=octets)
    await runtime.engine.dispose()
    assert (stored.status_code, stored.json()) == (200, {"size": 2000})
    assert refused.status_code == 415
