"""Past ``max_requests_in_flight`` a service answers a quick 503 instead of queueing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import SecretStr

from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime
from servicekit.security import StaticKeySet
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter, eventually

pytestmark = pytest.mark.unit


class KitSettings(ServiceSettings):
    service_name: str = "kit"


class Held:
    """Requests to ``/slow`` wait here until released; what they stored is counted."""

    def __init__(self) -> None:
        self.entered = 0
        self.streaming = 0
        self.stored: list[str] = []
        self.release = asyncio.Event()


@pytest.fixture
async def held() -> Held:
    return Held()


@pytest.fixture
async def client(held: Held) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.get("/download")
    async def download() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            held.streaming += 1
            await held.release.wait()
            yield b"last"

        return StreamingResponse(chunks(), media_type="application/octet-stream")

    @router.post("/slow")
    async def slow(body: dict[str, str]) -> dict[str, str]:
        held.entered += 1
        await held.release.wait()
        held.stored.append(body["key"])
        return {"stored": body["key"]}

    settings = KitSettings(
        database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"),
        max_requests_in_flight=2,
    )
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await runtime.engine.dispose()


async def test_past_the_limit_a_request_is_answered_503_at_once_and_nothing_is_stored(
    client: httpx.AsyncClient, held: Held
) -> None:
    first = asyncio.create_task(client.post("/slow", json={"key": "a"}))
    second = asyncio.create_task(client.post("/slow", json={"key": "b"}))

    async def both_in() -> bool:
        return held.entered == 2

    await eventually(both_in, timeout=5, message="the two requests did not start")

    shed = await client.post("/slow", json={"key": "c"})

    assert shed.status_code == 503
    assert shed.headers["content-type"].startswith("application/problem+json")
    assert shed.headers["retry-after"] == "1"
    problem = shed.json()
    assert problem["type"].endswith("/overloaded")
    assert "renvoyez la même demande" in problem["detail"]
    assert held.entered == 2  # the route never ran for it
    # Health, readiness and metrics are answered whatever the load.
    assert (await client.get("/healthz")).status_code == 200
    metrics = (await client.get("/metrics")).text
    assert "http_requests_shed_total 1.0" in metrics
    assert "http_requests_in_flight 2.0" in metrics

    held.release.set()
    assert (await first).status_code == 200
    assert (await second).status_code == 200
    # Once the load has passed, the same request goes through.
    again = await client.post("/slow", json={"key": "c"})
    assert again.status_code == 200
    assert held.stored == ["a", "b", "c"]


async def test_an_answer_being_streamed_no_longer_holds_a_place(
    client: httpx.AsyncClient, held: Held
) -> None:
    async def stream() -> bytes:
        async with client.stream("GET", "/download") as response:
            return b"".join([chunk async for chunk in response.aiter_bytes()])

    downloads = []
    for started in range(1, 4):  # one more than the limit, 2
        downloads.append(asyncio.create_task(stream()))

        async def streaming(count: int = started) -> bool:
            return held.streaming == count

        await eventually(streaming, timeout=5, message=f"download {started} did not start")
    metrics = (await client.get("/metrics")).text
    assert "http_requests_in_flight 0.0" in metrics
    held.release.set()
    # a request still gets through while they stream, and each download ends whole
    assert (await client.post("/slow", json={"key": "d"})).status_code == 200
    assert [await download for download in downloads] == [b"firstlast"] * 3
