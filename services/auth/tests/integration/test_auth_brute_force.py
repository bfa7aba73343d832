"""Brute force: growing delays, a lock that engages and releases, the same for unknown numbers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from servicekit.testing import MovableClock
from services.auth.tests.support import AuthApp, outbox_events, random_nir, registered_member

pytestmark = pytest.mark.integration


def answer(response: httpx.Response) -> tuple[int, dict[str, Any], str | None]:
    """What the person (or an attacker) sees of a login answer."""
    body = response.json()
    # The moment the lock ends depends on when the first failure happened.
    body.pop("retry_at", None)
    body["detail"] = re.sub(r"\d+ h \d+", "HH h MM", body["detail"])
    return response.status_code, body, response.headers.get("retry-after")


async def failing_run(
    auth_app: AuthApp, clock: MovableClock, nir: str
) -> list[tuple[int, dict[str, Any], str | None]]:
    """Wrong passwords, each one as soon as it is allowed, until the account locks."""
    seen = []
    async with auth_app.client() as browser:
        for _ in range(12):
            response = await browser.post(
                "/session", json={"nir": nir, "password": "Pas-Le-Bon-1234"}
            )
            seen.append(answer(response))
            if response.status_code == 429:
                if response.json()["locked"]:
                    break
                clock.advance(timedelta(seconds=int(response.headers["retry-after"])))
    return seen


async def test_the_lock_engages_warns_and_releases(auth_app: AuthApp, clock: MovableClock) -> None:
    nir, password = await registered_member(auth_app)
    run = await failing_run(auth_app, clock, nir)
    statuses = [status for status, _, _ in run]
    # 3 free failures, then each try must wait 2, 4, 8 s; the 6th failure locks.
    assert statuses == [401, 401, 401, 429, 401, 429, 401, 429, 401, 429]
    assert [retry for _, _, retry in run if retry] == ["2", "4", "8", str(15 * 60)]
    assert "réessayez dans 2 secondes" in run[3][1]["detail"]
    locked = run[-1][1]
    assert locked["locked"] is True
    assert "bloquée jusqu'à" in locked["detail"]

    warnings = [e for e in await outbox_events(auth_app, "AccountLocked")]
    assert any(e["member_id"] for e in warnings), "the member is warned by email of the lock"

    async with auth_app.client() as browser:
        during = await browser.post("/session", json={"nir": nir, "password": password})
        assert during.status_code == 429, "even the right password waits for the lock to end"
        clock.advance(timedelta(minutes=15))
        after = await browser.post("/session", json={"nir": nir, "password": password})
        assert after.status_code == 200, after.text


async def test_an_unknown_number_gets_exactly_the_same_answers(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    known, _ = await registered_member(auth_app)
    unknown, _ = random_nir()
    known_run = await failing_run(auth_app, clock, known)
    unknown_run = await failing_run(auth_app, clock, unknown)
    for (status_a, body_a, retry_a), (status_b, body_b, retry_b) in zip(
        known_run, unknown_run, strict=True
    ):
        assert (status_a, retry_a) == (status_b, retry_b)
        body_a.pop("instance", None)
        body_b.pop("instance", None)
        assert body_a == body_b


async def test_one_address_trying_many_numbers_is_slowed_down(auth_app: AuthApp) -> None:
    async with auth_app.client(address="192.0.2.77") as attacker:
        statuses = []
        for _ in range(12):
            nir, _ = random_nir()
            response = await attacker.post(
                "/session", json={"nir": nir, "password": "Pas-Le-Bon-1234"}
            )
            statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[11] == 429
    async with auth_app.client(address="192.0.2.78") as someone_else:
        nir, _ = random_nir()
        response = await someone_else.post(
            "/session", json={"nir": nir, "password": "Pas-Le-Bon-1234"}
        )
        assert response.status_code == 401, "another address is not slowed down"


async def test_agents_have_their_own_throttling(auth_app: AuthApp, clock: MovableClock) -> None:
    async with auth_app.client() as browser:
        statuses = []
        for _ in range(5):
            response = await browser.post(
                "/agents/session",
                json={"email": "nobody@msa.example", "password": "Pas-Le-Bon-1234"},
            )
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401, 429, 429]
        assert (
            "Adresse électronique ou mot de passe incorrect"
            in (
                await browser.post(
                    "/agents/session", json={"email": "other@msa.example", "password": "x"}
                )
            ).json()["detail"]
        )
