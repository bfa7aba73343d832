"""Past ``max_requests_in_flight`` a request waits in a short line; past the line, or past
its time in it, a service answers a quick 503 instead of queueing it for long."""

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
from servicekit.shedding import Places
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
def line() -> dict[str, float]:
    """The line behind the two places: none by default (a request past them is shed)."""
    return {"max_requests_queued": 0}


@pytest.fixture
async def client(held: Held, line: dict[str, float]) -> AsyncIterator[httpx.AsyncClient]:
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
        **line,
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


async def _two_in(client: httpx.AsyncClient, held: Held) -> list[asyncio.Task[httpx.Response]]:
    requests = [asyncio.create_task(client.post("/slow", json={"key": key})) for key in ("a", "b")]

    async def both_in() -> bool:
        return held.entered == 2

    await eventually(both_in, timeout=5, message="the two requests did not start")
    return requests


@pytest.mark.parametrize("line", [{"max_requests_queued": 1, "max_queue_wait_seconds": 30}])
async def test_past_the_limit_a_request_waits_its_turn_and_past_the_line_one_is_shed(
    client: httpx.AsyncClient, held: Held
) -> None:
    first, second = await _two_in(client, held)
    third = asyncio.create_task(client.post("/slow", json={"key": "c"}))

    async def third_waits() -> bool:
        return "http_requests_waiting 1.0" in (await client.get("/metrics")).text

    await eventually(third_waits, timeout=5, message="the third request is not waiting")
    shed = await client.post("/slow", json={"key": "d"})  # the line (one) is full

    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert held.entered == 2  # neither the waiting request nor the shed one ran yet
    assert not third.done()

    held.release.set()
    assert [(await request).status_code for request in (first, second, third)] == [200] * 3
    assert held.stored == ["a", "b", "c"]  # the waiting one was served, the shed one not
    metrics = (await client.get("/metrics")).text
    assert "http_requests_shed_total 1.0" in metrics
    assert "http_requests_queued_total 1.0" in metrics  # the one that waited, not the shed one
    assert "http_requests_in_flight 0.0" in metrics


@pytest.mark.parametrize("line", [{"max_requests_queued": 5, "max_queue_wait_seconds": 0.2}])
async def test_a_request_that_waited_its_time_in_the_line_is_shed_and_nothing_is_stored(
    client: httpx.AsyncClient, held: Held
) -> None:
    first, second = await _two_in(client, held)

    shed = await client.post("/slow", json={"key": "c"})

    assert shed.status_code == 503
    assert shed.json()["type"].endswith("/overloaded")
    assert held.entered == 2
    held.release.set()
    assert [(await request).status_code for request in (first, second)] == [200] * 2
    assert held.stored == ["a", "b"]
    # the place it waited for is not lost: two requests are served at once again
    again = [asyncio.create_task(client.post("/slow", json={"key": key})) for key in "ef"]
    assert [(await request).status_code for request in again] == [200] * 2


async def test_a_place_handed_to_a_waiter_cancelled_at_that_moment_goes_to_the_next() -> None:
    places = Places(limit=1, queued=2, wait=30)
    assert await places.take()
    leaving = asyncio.create_task(places.take())
    staying = asyncio.create_task(places.take())

    async def both_waiting() -> bool:
        return places.waiting == 2

    await eventually(both_waiting, timeout=5, message="the two did not start waiting")
    places.give_back()  # handed to the first waiter...
    leaving.cancel()  # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await leaving

    assert await staying  # it gave the place back, and the next waiter got it
    assert places.taken == 1
    places.give_back()
    assert places.taken == 0
