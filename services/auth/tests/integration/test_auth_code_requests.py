"""Codes and links emailed on request are limited: one a minute, three an hour, per member
(email change) or per number typed (activation code renewal, password reset). A request that
comes too soon answers 429 with Retry-After and a French detail saying when to retry, sends
nothing, and is refused the same way whether an account has the number or not."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import httpx
import pytest

from servicekit.testing import MovableClock
from services.auth.tests.support import (
    AuthApp,
    browser_headers,
    cover,
    member_form,
    outbox_events,
    random_nir,
    registered_member,
)

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


def answer(response: httpx.Response) -> tuple[int, dict[str, Any], str | None]:
    """What the caller sees, without what differs from one request to the next."""
    body = response.json()
    body.pop("instance", None)
    body.pop("retry_at", None)
    if isinstance(body.get("detail"), str):
        body["detail"] = re.sub(r"\d+ h \d\d", "HH h MM", body["detail"])
    return response.status_code, body, response.headers.get("retry-after")


def assert_refused(response: httpx.Response, *, locked: bool) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith("too-many-requests")
    assert problem["locked"] is locked
    assert response.headers["retry-after"] == str(problem["retry_after"])
    if locked:
        assert 60 < problem["retry_after"] <= 3600
        assert re.search(r"à partir de \d{1,2} h \d\d\.$", problem["detail"]), problem["detail"]
    else:
        assert 0 < problem["retry_after"] <= 60
        assert f"réessayez dans {problem['retry_after']} seconde" in problem["detail"]
    return problem


async def test_email_change_codes_are_limited_per_member(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        assert (
            await browser.post("/session", json={"nir": nir, "password": password})
        ).status_code == 200
        member_id = (await browser.get("/me")).json()["id"]

        async def ask(email: str) -> httpx.Response:
            return await browser.post(
                "/me/email",
                json={"email": email, "current_password": password},
                headers=browser_headers(browser),
            )

        assert (await ask("victime.un@example.fr")).status_code == 202
        # At once again, even to another address: refused, nothing sent.
        assert_refused(await ask("victime.deux@example.fr"), locked=False)
        clock.advance(timedelta(seconds=30))
        problem = assert_refused(await ask("victime.deux@example.fr"), locked=False)
        assert problem["retry_after"] <= 30
        clock.advance(timedelta(seconds=30))
        assert (await ask("victime.deux@example.fr")).status_code == 202
        clock.advance(timedelta(minutes=1))
        assert (await ask("victime.trois@example.fr")).status_code == 202
        # Three codes in a row: the next one waits an hour.
        clock.advance(timedelta(minutes=1))
        assert_refused(await ask("victime.quatre@example.fr"), locked=True)
        clock.advance(timedelta(minutes=50))
        assert_refused(await ask("victime.quatre@example.fr"), locked=True)
        clock.advance(timedelta(minutes=10))
        assert (await ask("victime.quatre@example.fr")).status_code == 202

    sent = [
        e["email"]
        for e in await outbox_events(auth_app, "EmailChangeCodeIssued")
        if e["member_id"] == member_id
    ]
    assert sent == [
        "victime.un@example.fr",
        "victime.deux@example.fr",
        "victime.trois@example.fr",
        "victime.quatre@example.fr",
    ]


async def test_one_members_limit_does_not_hold_up_another(auth_app: AuthApp) -> None:
    first, second = await registered_member(auth_app), await registered_member(auth_app)
    for nir, password in (first, second):
        async with auth_app.client() as browser:
            await browser.post("/session", json={"nir": nir, "password": password})
            asked = await browser.post(
                "/me/email",
                json={"email": "partagee@example.fr", "current_password": password},
                headers=browser_headers(browser),
            )
            assert asked.status_code == 202, asked.text


async def test_an_invalid_request_is_not_counted(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        await browser.post("/session", json={"nir": nir, "password": password})
        current = (await browser.get("/me")).json()["email"]
        same = await browser.post(
            "/me/email",
            json={"email": current, "current_password": password},
            headers=browser_headers(browser),
        )
        assert same.status_code == 422
        asked = await browser.post(
            "/me/email",
            json={"email": "autre@example.fr", "current_password": password},
            headers=browser_headers(browser),
        )
        assert asked.status_code == 202, "a refused request sends nothing and costs nothing"


async def requests_run(
    auth_app: AuthApp, clock: MovableClock, path: str, nir: str
) -> list[tuple[int, dict[str, Any], str | None]]:
    """Requests for one number: twice at once, then a minute apart until the hour's lock."""
    seen = []
    async with auth_app.client() as browser:
        for wait in (0, 0, 60, 60, 60, 3600):
            clock.advance(timedelta(seconds=wait))
            seen.append(answer(await browser.post(path, json={"nir": nir})))
    return seen


EXPECTED_STATUSES = [202, 429, 202, 202, 429, 202]


async def test_password_reset_links_are_limited_the_same_for_any_number(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    known, _ = await registered_member(auth_app)
    unknown, _ = random_nir()
    known_run = await requests_run(auth_app, clock, "/password/forgotten", known)
    unknown_run = await requests_run(auth_app, clock, "/password/forgotten", unknown)
    assert [status for status, _, _ in known_run] == EXPECTED_STATUSES
    assert known_run == unknown_run, "the answers never tell whether the number has an account"
    assert "à partir de HH h MM" in known_run[4][1]["detail"]


async def test_activation_code_renewals_are_limited_the_same_for_any_number(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    form = member_form()
    await cover(auth_app, form)
    async with auth_app.client() as browser:
        assert (await browser.post("/members", json=form)).status_code == 202
    pending = form["nir"][:13]
    unknown, _ = random_nir()
    pending_run = await requests_run(auth_app, clock, "/members/activation/renewal", pending)
    unknown_run = await requests_run(auth_app, clock, "/members/activation/renewal", unknown)
    assert [status for status, _, _ in pending_run] == EXPECTED_STATUSES
    assert pending_run == unknown_run
    codes = [
        e
        for e in await outbox_events(auth_app, "ActivationCodeIssued")
        if e["email"] == form["email"]
    ]
    assert len(codes) == 1 + 4, "the registration's code, then one per request let through"


async def test_registrations_from_one_address_are_limited_per_hour(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    """A script generating valid numbers cannot have codes sent to any address it likes."""
    allowance = auth_app.settings.registrations_per_address_per_hour
    address = f"203.0.113.{secrets.randbelow(250) + 1}"
    async with auth_app.client(address=address) as browser:
        for _ in range(allowance):
            assert (await browser.post("/members", json=member_form())).status_code == 202
        assert_refused(await browser.post("/members", json=member_form()), locked=True)
    async with auth_app.client() as neighbour:
        assert (await neighbour.post("/members", json=member_form())).status_code == 202
    clock.advance(timedelta(hours=1, seconds=1))
    async with auth_app.client(address=address) as browser:
        assert (await browser.post("/members", json=member_form())).status_code == 202
