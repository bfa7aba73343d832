"""Log lines tell the truth about where they come from, and a condition that lasts is said once.

A task started while a request is served (aiokafka's connection and metadata tasks opened by a
readiness check, a key-set refresh) inherits the request's context: its lines must not carry
that request's id. A broker or a database that stays away is logged once per 10 s with a count.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter
from pydantic import SecretStr
from sqlalchemy import text

from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime
from servicekit.security import StaticKeySet
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter, free_port

pytestmark = pytest.mark.unit

#: Nothing listens there: the database and the broker are away.
REFUSED_DATABASE = "postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"


class KitSettings(ServiceSettings):
    service_name: str = "kit"


def output_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.05)


async def test_a_task_started_during_a_request_logs_without_the_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A library task started by a request (here aiokafka bootstrapping a client towards a
    broker that is away, as the producer does when a readiness check starts it) logs its
    failures without that request's id; the request's own lines keep it."""
    router = APIRouter()
    started: list[asyncio.Task[None]] = []
    finished = asyncio.Event()
    broker = f"127.0.0.1:{free_port()}"

    async def in_background() -> None:
        client = AIOKafkaClient(bootstrap_servers=broker, request_timeout_ms=2000)
        try:
            await client.bootstrap()
        except Exception:  # noqa: S110 - its own error line is what this test reads
            pass
        finally:
            await client.close()
            finished.set()

    @router.get("/start")
    async def start() -> dict[str, str]:
        started.append(asyncio.create_task(in_background()))
        logging.getLogger("kit.route").warning("background work started")
        return {"status": "started"}

    settings = KitSettings(database_url=SecretStr(REFUSED_DATABASE))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))
    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/start", headers={"x-request-id": "the-request"})
    assert response.status_code == 200
    await asyncio.wait_for(finished.wait(), timeout=30)
    await runtime.engine.dispose()

    lines = output_lines(capsys)
    own = [line for line in lines if line["event"] in ("background work started", "request")]
    assert len(own) == 2
    assert all(line["request_id"] == "the-request" for line in own)
    background = [line for line in lines if line.get("logger", "").startswith("aiokafka")]
    assert any("Unable connect to" in line["event"] for line in background), lines
    assert all("request_id" not in line and "trace_id" not in line for line in background)


async def test_a_task_keeps_the_ids_it_binds_itself(capsys: pytest.CaptureFixture[str]) -> None:
    """Only the inherited request ids are dropped: a task's own binding stays on its lines."""
    import structlog

    from servicekit.logging import bind_request_context, configure_logging, get_logger

    configure_logging(service="kit")
    logger = get_logger("kit")

    async def own_work() -> None:
        structlog.contextvars.bind_contextvars(trace_id="its-own-trace")
        logger.info("own work")

    async def request() -> None:
        bind_request_context(request_id="the-request", trace_id="the-request-trace")
        await asyncio.create_task(own_work())
        logger.info("request line")

    await asyncio.create_task(request())
    lines = {line["event"]: line for line in output_lines(capsys)}
    assert lines["own work"]["trace_id"] == "its-own-trace"
    assert "request_id" not in lines["own work"]
    assert lines["request line"]["request_id"] == "the-request"
    assert lines["request line"]["trace_id"] == "the-request-trace"


def test_aiokafkas_unreachable_node_lines_go_out_once_per_window_with_a_count(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiokafka's own line (logger aiokafka.client, ERROR, a different error text each time)."""
    from servicekit.logging import configure_logging

    moments = iter([0.0, 0.2, 0.4, 0.6, 0.8, 10.5])
    monkeypatch.setattr("servicekit.logging.time.monotonic", lambda: next(moments))
    configure_logging(service="kit")
    client = logging.getLogger("aiokafka.client")
    for attempt in range(6):
        client.error("Unable connect to node with id %s: %s", attempt % 3, f"refused {attempt}")
    lines = output_lines(capsys)
    assert [line["event"] for line in lines] == [
        "Unable connect to node with id 0: refused 0",
        "Unable connect to node with id 2: refused 5",
    ]
    assert lines[1]["repeated"] == 4


async def test_a_database_away_is_one_warning_line_for_many_requests(
    capsys: pytest.CaptureFixture[str],
) -> None:
    router = APIRouter()
    settings = KitSettings(database_url=SecretStr(REFUSED_DATABASE))
    runtime = ServiceRuntime(settings, keys=StaticKeySet(TokenMinter().jwks()))

    @router.get("/count")
    async def count() -> dict[str, int]:
        async with runtime.sessions() as session:
            return {"count": (await session.execute(text("SELECT 1"))).scalar_one()}

    app = create_service_app(runtime, title="kit", description="kit", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for _ in range(8):
            assert (await http.get("/count")).status_code == 503
    await runtime.engine.dispose()
    lines = output_lines(capsys)
    warnings = [line for line in lines if line["level"] in ("warning", "error")]
    assert [line["event"] for line in warnings] == ["a dependency is unavailable: answering 503"]
    assert "exception" not in warnings[0]
    assert len([line for line in lines if line["event"] == "request"]) == 8
