"""Two tabs refreshing at once: the second is told the session was just refreshed (409),
nothing is revoked, and the browser goes on with the cookies the first one received. A
refresh token reused later, or after its successor, still ends the session."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from servicekit.testing import MovableClock
from services.auth.tests.support import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    AuthApp,
    browser_headers,
    registered_member,
)

pytestmark = pytest.mark.integration


async def bearer_session(auth_app: AuthApp, tool: httpx.AsyncClient) -> dict[str, Any]:
    nir, password = await registered_member(auth_app)
    response = await tool.post("/session", json={"nir": nir, "password": password, "bearer": True})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(tool: httpx.AsyncClient, token: str) -> httpx.Response:
    return await tool.post("/session/refresh", json={"refresh_token": token})


async def test_a_second_tab_presenting_the_same_cookie_is_told_and_logged_out_of_nothing(
    auth_app: AuthApp,
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser, auth_app.client() as other_tab:
        assert (await browser.post("/session", json={"nir": nir, "password": password})).is_success
        # The other tab sends the cookies as they were when both tabs found the access
        # token expired (the jar of a real browser is shared; here it is copied).
        for name in (REFRESH_COOKIE, CSRF_COOKIE):
            other_tab.cookies.set(name, browser.cookies.get(name) or "", domain="localhost.local")

        first = await browser.post("/session/refresh", headers=browser_headers(browser))
        assert first.status_code == 200, first.text
        second = await other_tab.post("/session/refresh", headers=browser_headers(other_tab))
        assert second.status_code == 409, second.text
        assert second.headers["content-type"] == "application/problem+json"
        assert second.json()["type"].endswith("/already-refreshed")
        assert "set-cookie" not in second.headers, "no new tokens, no cookie cleared"

        # The browser goes on with what the first refresh gave it.
        assert (await browser.get("/me")).status_code == 200
        assert (await browser.post("/session/refresh", headers=browser_headers(browser))).is_success
        assert browser.cookies.get(ACCESS_COOKIE)


async def test_two_refreshes_at_once_give_one_new_token_and_keep_the_session(
    auth_app: AuthApp,
) -> None:
    async with auth_app.client() as tool:
        session = await bearer_session(auth_app, tool)
        answers = await asyncio.gather(*(refresh(tool, session["refresh_token"]) for _ in range(2)))
        assert sorted(answer.status_code for answer in answers) == [200, 409]
        [rotated] = [answer.json() for answer in answers if answer.status_code == 200]
        assert (await refresh(tool, rotated["refresh_token"])).status_code == 200


async def test_the_used_cookie_without_the_browsers_csrf_token_ends_the_session(
    auth_app: AuthApp,
) -> None:
    """Another tab has the browser's CSRF token; whoever does not is not another tab."""
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        assert (await browser.post("/session", json={"nir": nir, "password": password})).is_success
        used = browser.cookies.get(REFRESH_COOKIE) or ""
        assert (await browser.post("/session/refresh", headers=browser_headers(browser))).is_success
        async with auth_app.client() as thief:
            thief.cookies.set(REFRESH_COOKIE, used, domain="localhost.local")
            refused = await thief.post(
                "/session/refresh",
                headers={"X-CSRF-Token": "guess", "Origin": "http://localhost:8080"},
            )
            assert refused.status_code == 401
        assert (await browser.get("/me")).status_code == 401, "the session is revoked"


async def test_a_reuse_after_the_successor_was_used_still_ends_the_session(
    auth_app: AuthApp,
) -> None:
    async with auth_app.client() as tool:
        session = await bearer_session(auth_app, tool)
        rotated = (await refresh(tool, session["refresh_token"])).json()
        assert (await refresh(tool, rotated["refresh_token"])).status_code == 200
        stolen = await refresh(tool, session["refresh_token"])
        assert stolen.status_code == 401, "within the moment, but the successor was used"
        after = await tool.get(
            "/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
        )
        assert after.status_code == 401, "the session is revoked"


async def test_a_reuse_after_the_grace_window_still_ends_the_session(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    async with auth_app.client() as tool:
        session = await bearer_session(auth_app, tool)
        rotated = (await refresh(tool, session["refresh_token"])).json()
        clock.advance(timedelta(seconds=auth_app.settings.refresh_reuse_grace_seconds + 1))
        assert (await refresh(tool, session["refresh_token"])).status_code == 401
        assert (await refresh(tool, rotated["refresh_token"])).status_code == 401
