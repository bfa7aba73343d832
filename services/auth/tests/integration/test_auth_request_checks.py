"""Checks every browser request meets (servicekit's, shared with the other services): a form
from another site is refused, a refused session says how to authenticate, a refresh or a
logout by cookie needs the CSRF header."""

from __future__ import annotations

import pytest

from services.auth.tests.support import (
    ACCESS_COOKIE,
    ORIGIN,
    AuthApp,
    browser_headers,
    registered_member,
)

pytestmark = pytest.mark.integration


async def test_forms_without_a_session_refuse_another_sites_origin(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        for origin in ("https://elsewhere.example", "null", "http://localhost:8081"):
            refused = await browser.post(
                "/session", json={"nir": nir, "password": password}, headers={"Origin": origin}
            )
            assert refused.status_code == 403, origin
            assert refused.json()["type"].endswith("/origin")
        ours = await browser.post(
            "/session", json={"nir": nir, "password": password}, headers={"Origin": ORIGIN}
        )
        assert ours.status_code == 200, ours.text


async def test_an_ended_session_answers_401_with_the_bearer_challenge(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        assert (await browser.post("/session", json={"nir": nir, "password": password})).is_success
        stale = dict(browser.cookies)
        assert (await browser.delete("/session", headers=browser_headers(browser))).is_success
        for name, value in stale.items():
            browser.cookies.set(name, value)
        ended = await browser.get("/me")
    assert ended.status_code == 401
    assert ended.headers["www-authenticate"] == 'Bearer realm="mes-messages"'
    assert ended.json()["type"].endswith("/unauthenticated")


async def test_a_refresh_or_logout_by_cookie_needs_the_csrf_header(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        assert (await browser.post("/session", json={"nir": nir, "password": password})).is_success
        refresh = await browser.post("/session/refresh", headers={"Origin": ORIGIN})
        assert refresh.status_code == 403
        assert refresh.json()["type"].endswith("/csrf")
        # Once the access token is gone, the refresh cookie alone must come with the header.
        browser.cookies.delete(ACCESS_COOKIE)
        logout = await browser.delete("/session", headers={"X-CSRF-Token": "not-the-token"})
        assert logout.status_code == 403
        assert logout.json()["type"].endswith("/csrf")
        assert (await browser.delete("/session", headers=browser_headers(browser))).is_success
