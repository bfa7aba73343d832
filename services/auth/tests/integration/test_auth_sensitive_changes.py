"""Sensitive changes: the current password asked before a change is checked under the
login's brute-force rules, so a stolen session cannot guess it faster than a login could."""

from __future__ import annotations

import pytest

from services.auth.tests.support import AuthApp, browser_headers, registered_member

pytestmark = pytest.mark.integration


async def test_guessing_the_current_password_is_throttled_like_a_login(
    auth_app: AuthApp,
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        logged_in = await browser.post("/session", json={"nir": nir, "password": password})
        assert logged_in.status_code == 200
        statuses = []
        for attempt in range(4):
            response = await browser.post(
                "/password",
                json={
                    "current_password": f"Pas-Le-Bon-{attempt}-2026",
                    "new_password": "Nouveau-Colza-Tournesol-2026",
                },
                headers=browser_headers(browser),
            )
            statuses.append(response.status_code)
        free = auth_app.settings.account_free_failures
        assert statuses[:free] == [400] * free, statuses
        assert statuses[free] == 429, statuses
        # Even the right password waits its turn now: the guesses were counted.
        right = await browser.post(
            "/password",
            json={"current_password": password, "new_password": "Nouveau-Colza-Tournesol-2026"},
            headers=browser_headers(browser),
        )
        assert right.status_code == 429
        assert right.headers["content-type"].startswith("application/problem+json")
