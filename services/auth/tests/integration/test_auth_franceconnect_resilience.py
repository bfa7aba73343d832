"""FranceConnect keeps working when something else fails, and a provider that fails in an
unexpected way sends the browser back to the login page, never to an error 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from auth import main
from auth.config import Settings
from auth.domain.commands import PruneExpired
from auth.service_layer.handlers import HANDLERS, UnitOfWorkFactory, housekeeping
from servicekit.clock import Clock
from servicekit.testing import MovableClock
from services.auth.tests.support import ACCESS_COOKIE, running_app
from services.auth.tests.support.franceconnect import (
    callback,
    refused_with,
    start,
    through_provider,
)

pytestmark = pytest.mark.integration


async def test_a_housekeeping_crash_leaves_the_franceconnect_client_open(
    base_settings: Settings, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_prune = housekeeping.prune_expired
    calls = 0
    restarted = asyncio.Event()

    async def prune_after_a_database_blip(
        cmd: PruneExpired, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
    ) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("the database went away for a moment")
        restarted.set()
        await real_prune(cmd, uow=uow, clock=clock, settings=settings)

    monkeypatch.setattr(
        main,
        "HANDLERS",
        [prune_after_a_database_blip if h is real_prune else h for h in HANDLERS],
    )
    async with running_app(base_settings, clock) as app, app.client() as browser:
        # servicekit's runtime restarts the crashed task; FranceConnect must still answer.
        await asyncio.wait_for(restarted.wait(), timeout=10)
        location = await start(browser)
        assert location.startswith(base_settings.franceconnect_issuer + "/authorize?")
        franceconnect_http = app.app.state.adapters.franceconnect._http
        assert not franceconnect_http.is_closed
    assert franceconnect_http.is_closed, "the client is closed when the app stops"


async def test_a_client_that_fails_unexpectedly_means_franceconnect_is_unavailable(
    base_settings: Settings, clock: MovableClock
) -> None:
    closed = httpx.AsyncClient()
    await closed.aclose()  # any request now raises RuntimeError, not an httpx error
    async with (
        running_app(base_settings, clock, franceconnect_http=closed) as app,
        app.client() as browser,
    ):
        answer = await browser.get("/franceconnect/login")
    assert answer.status_code == 303
    assert refused_with(answer, "franceconnect-indisponible")


class GarbledTokenAnswer(httpx.AsyncBaseTransport):
    """The provider's token endpoint answers 200 with something that is not JSON."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, content=b"<html>maintenance</html>")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_an_unreadable_provider_answer_at_the_callback_is_unavailable_too(
    base_settings: Settings, clock: MovableClock
) -> None:
    async with (
        httpx.AsyncClient(transport=GarbledTokenAnswer()) as between,
        running_app(base_settings, clock, franceconnect_http=between) as app,
        app.client() as browser,
    ):
        answer = await callback(browser, await through_provider(await start(browser), "jeanne"))
        assert refused_with(answer, "franceconnect-indisponible")
        assert browser.cookies.get(ACCESS_COOKIE) is None
