"""A body is UTF-8 or refused with a 415 problem, whatever its label says: UTF-16 and UTF-32
bodies, with or without a byte-order mark, labelled application/json or given another charset."""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, SecretStr

from servicekit.http import create_service_app
from servicekit.problems import PROBLEM_MEDIA_TYPE
from servicekit.runtime import ServiceRuntime
from servicekit.security import StaticKeySet
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter

pytestmark = pytest.mark.unit

DOCUMENT = '{"text": "Élodie"}'


class Body(BaseModel):
    text: str


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

    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await runtime.engine.dispose()


WIDE = {
    "utf-16-le": DOCUMENT.encode("utf-16-le"),
    "utf-16-be": DOCUMENT.encode("utf-16-be"),
    "utf-16 with its mark": DOCUMENT.encode("utf-16"),
    "utf-32 with its mark": DOCUMENT.encode("utf-32"),
    "utf-32-be": DOCUMENT.encode("utf-32-be"),
    "utf-16 mark alone": codecs.BOM_UTF16_LE + DOCUMENT.encode("utf-16-le"),
}


@pytest.mark.parametrize("body", WIDE.values(), ids=WIDE.keys())
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
async def test_a_utf16_or_utf32_body_is_a_415_however_labelled(
    client: httpx.AsyncClient, body: bytes, content_type: str
) -> None:
    response = await client.post("/echo", content=body, headers={"content-type": content_type})
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"].endswith("/unsupported-media-type")
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize("charset", ["latin-1", "iso-8859-1", "utf-16", "windows-1252"])
async def test_a_body_labelled_with_another_charset_is_a_415(
    client: httpx.AsyncClient, charset: str
) -> None:
    response = await client.post(
        "/echo",
        content=DOCUMENT.encode("utf-8"),
        headers={"content-type": f"application/json; charset={charset}"},
    )
    assert response.status_code == 415
    assert response.json()["type"].endswith("/unsupported-media-type")


async def test_the_same_document_in_utf8_passes(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/echo", content=DOCUMENT.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"text": "Élodie"}
