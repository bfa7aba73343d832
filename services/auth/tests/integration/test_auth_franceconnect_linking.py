"""Which account a FranceConnect identity opens on its first login, and the notice the
account's address gets whenever an identity is linked to it.

The identities come from the real provider, made to describe the person each test needs
(``IdentityTransport``): the pivot of an account registered by the test, and an email.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from auth.config import Settings
from servicekit.testing import MovableClock
from services.auth.tests.support import (
    AuthApp,
    EventLog,
    as_published,
    browser_headers,
    outbox_events,
    registered_member,
    running_app,
)
from services.auth.tests.support.franceconnect import (
    IdentityTransport,
    callback,
    person,
    pivot_of,
    start,
    through_provider,
)

pytestmark = pytest.mark.integration

MESSAGES = "http://localhost:8080/messages"
CONFIRM = "http://localhost:8080/connexion?franceconnect=lier"


@pytest.fixture
async def franceconnect(
    base_settings: Settings, clock: MovableClock, events: EventLog
) -> AsyncIterator[tuple[AuthApp, IdentityTransport]]:
    transport = IdentityTransport()
    async with (
        httpx.AsyncClient(transport=transport) as between,
        running_app(base_settings, clock, events=events, franceconnect_http=between) as app,
    ):
        yield app, transport


def identity_of(form: dict[str, Any], nir: str, *, email: str) -> dict[str, str]:
    return pivot_of(
        nir,
        given_name=form["given_name"],
        family_name=form["family_name"],
        birth=date.fromisoformat(form["birth_date"]),
        email=email,
    )


async def notices_to(app: AuthApp, email: str) -> list[dict[str, Any]]:
    return [e for e in await outbox_events(app, "FranceConnectLinked") if e["email"] == email]


async def log_in_with_franceconnect(app: AuthApp, browser: httpx.AsyncClient) -> httpx.Response:
    return await callback(browser, await through_provider(await start(browser), "jeanne"))


async def test_an_account_opened_in_someones_name_with_another_address_is_not_theirs(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    """Pre-hijacking: someone who knows a person's number, birth date and names opens an
    account in their name with an address of their own, and waits for the person's first
    FranceConnect login."""
    app, transport = franceconnect
    victim = person()
    squatter = "quelqu.un.d.autre@example.org"
    nir, password = await registered_member(app, **(victim | {"email": squatter}))
    transport.identity = identity_of(victim, nir, email=victim["email"])

    async with app.client() as browser:
        answer = await log_in_with_franceconnect(app, browser)
        assert answer.headers["location"] == CONFIRM, "the number and password are asked"
        assert (await browser.get("/me")).status_code == 401

    async with app.client() as squatters_browser:
        await squatters_browser.post("/session", json={"nir": nir, "password": password})
        me = await squatters_browser.get("/me")
        assert me.json()["franceconnect_linked"] is False
    assert await notices_to(app, squatter) == []


async def test_the_address_franceconnect_verified_links_the_account_and_is_told(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    app, transport = franceconnect
    form = person()
    nir, _ = await registered_member(app, **form)
    transport.identity = identity_of(form, nir, email=form["email"].upper())

    async with app.client() as browser:
        answer = await log_in_with_franceconnect(app, browser)
        assert answer.headers["location"] == MESSAGES
        me = (await browser.get("/me")).json()
        assert me["franceconnect_linked"] is True
    [notice] = await notices_to(app, form["email"])
    assert notice["member_id"] == me["id"]
    assert notice["confirmed_by"] == "identity"
    assert notice["given_name"] == form["given_name"]
    assert (await as_published(app, notice))["linked_at"] == notice["linked_at"]

    async with app.client() as later:
        again = await log_in_with_franceconnect(app, later)
        assert again.headers["location"] == MESSAGES
    assert len(await notices_to(app, form["email"])) == 1, "told once, when linked"


async def test_a_link_confirmed_with_number_and_password_is_told_to_the_accounts_address(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    app, transport = franceconnect
    form = person()
    nir, password = await registered_member(app, **form)
    transport.identity = identity_of(form, nir, email="adresse.franceconnect@example.fr")

    async with app.client() as browser:
        answer = await log_in_with_franceconnect(app, browser)
        assert answer.headers["location"] == CONFIRM
        linked = await browser.post("/franceconnect/link", json={"nir": nir, "password": password})
        assert linked.status_code == 200, linked.text
        assert linked.json()["profile"]["franceconnect_linked"] is True
    [notice] = await notices_to(app, form["email"])
    assert notice["confirmed_by"] == "password"
    assert await notices_to(app, "adresse.franceconnect@example.fr") == []


async def test_two_first_logins_at_once_link_once(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    """Two tabs, each back from FranceConnect at the same moment: both are logged in."""
    app, transport = franceconnect
    form = person()
    nir, _ = await registered_member(app, **form)
    transport.identity = identity_of(form, nir, email=form["email"])
    transport.meet = asyncio.Barrier(2)

    async with app.client() as one, app.client() as two:
        queries = [await through_provider(await start(browser), "jeanne") for browser in (one, two)]
        answers = await asyncio.gather(callback(one, queries[0]), callback(two, queries[1]))
        assert [answer.headers["location"] for answer in answers] == [MESSAGES, MESSAGES]
        assert (await one.get("/me")).json()["id"] == (await two.get("/me")).json()["id"]
    assert len(await notices_to(app, form["email"])) == 1


async def test_the_confirmation_sent_twice_logs_in_twice_and_links_once(
    franceconnect: tuple[AuthApp, IdentityTransport],
) -> None:
    app, transport = franceconnect
    form = person()
    nir, password = await registered_member(app, **form)
    transport.identity = identity_of(form, nir, email="adresse.franceconnect@example.fr")

    async with app.client() as browser:
        assert (await log_in_with_franceconnect(app, browser)).headers["location"] == CONFIRM
        pending = browser.cookies.get("mm-portal-fc-lien")
        answers = await asyncio.gather(
            *(
                browser.post("/franceconnect/link", json={"nir": nir, "password": password})
                for _ in range(2)
            )
        )
        assert [answer.status_code for answer in answers] == [200, 200], [
            answer.text for answer in answers
        ]
        # A retry after a lost answer (the clearing of the cookie lost with it) gets in too.
        assert pending, "the pending login's cookie is the portal's"
        browser.cookies.set("mm-portal-fc-lien", pending, domain="localhost.local", path="/")
        retried = await browser.post("/franceconnect/link", json={"nir": nir, "password": password})
        assert retried.status_code == 200, retried.text
    assert len(await notices_to(app, form["email"])) == 1


async def test_a_recent_franceconnect_login_stands_for_the_password_a_few_minutes(
    franceconnect: tuple[AuthApp, IdentityTransport], clock: MovableClock
) -> None:
    """Unlinking (like any sensitive change) needs the current password, or a FranceConnect
    login of the last 5 minutes; the account's address is told."""
    app, transport = franceconnect
    form = person()
    nir, password = await registered_member(app, **form)
    transport.identity = identity_of(form, nir, email=form["email"])

    async with app.client() as browser:
        answer = await log_in_with_franceconnect(app, browser)
        assert answer.headers["location"] == MESSAGES
        headers = browser_headers(browser)
        clock.advance(timedelta(seconds=app.settings.reauthentication_seconds + 30))
        try:
            late = await browser.request("DELETE", "/me/franceconnect", headers=headers)
        finally:
            clock.advance(-timedelta(seconds=app.settings.reauthentication_seconds + 30))
        assert late.status_code == 403, late.text
        assert late.json()["type"].endswith("reauthentication-required")

        unlinked = await browser.request("DELETE", "/me/franceconnect", headers=headers)
        assert unlinked.status_code == 200, unlinked.text
        assert unlinked.json()["franceconnect_linked"] is False
    [notice] = [
        e
        for e in await outbox_events(app, "AccountChanged")
        if e["email"] == form["email"] and e["change"] == "franceconnect_unlinked"
    ]
    assert notice["given_name"] == form["given_name"]

    async with app.client() as browser:
        # Logged in with the password: the password is asked, and right, it unlinks.
        await browser.post("/session", json={"nir": nir, "password": password})
        refused = await browser.request(
            "DELETE", "/me/franceconnect", headers=browser_headers(browser)
        )
        assert refused.status_code == 403
