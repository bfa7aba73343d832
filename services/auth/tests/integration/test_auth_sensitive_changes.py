"""Sensitive changes: the current password is asked before an email change, a password
change, a deletion (a FranceConnect login of the last minutes stands for it: see
``test_auth_franceconnect_linking``), checked under the login's brute-force rules, so a
stolen session cannot guess it faster than a login could; each change is told to the
address (an email change to the previous one too); managers send agents a link, never a
password."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from services.auth.tests.support import (
    AGENT_PASSWORD,
    AuthApp,
    agent_bearer,
    as_published,
    browser_headers,
    created_agent,
    new_agent,
    outbox_events,
    registered_member,
)

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


# --------------------------------------------------------------------------- confirmation


async def _logged_in(auth_app: AuthApp, browser: httpx.AsyncClient) -> tuple[str, str]:
    nir, password = await registered_member(auth_app)
    logged_in = await browser.post("/session", json={"nir": nir, "password": password})
    assert logged_in.status_code == 200, logged_in.text
    return nir, password


async def _notices(auth_app: AuthApp, member_id: str, change: str) -> list[dict[str, Any]]:
    return [
        event
        for event in await outbox_events(auth_app, "AccountChanged")
        if event["member_id"] == member_id and event["change"] == change
    ]


async def test_an_email_change_asks_for_the_password_and_is_told_to_both_addresses(
    auth_app: AuthApp,
) -> None:
    async with auth_app.client() as browser:
        _, password = await _logged_in(auth_app, browser)
        me = (await browser.get("/me")).json()
        headers = browser_headers(browser)
        new = {"email": f"nouvelle.{uuid.uuid4().hex[:8]}@example.fr"}

        unconfirmed = await browser.post("/me/email", json=new, headers=headers)
        assert unconfirmed.status_code == 403, unconfirmed.text
        assert unconfirmed.json()["type"].endswith("reauthentication-required")
        assert "mot de passe actuel" in unconfirmed.json()["detail"]

        wrong = await browser.post(
            "/me/email", json=new | {"current_password": "Pas-Le-Bon-2026-Mot"}, headers=headers
        )
        assert wrong.status_code == 400
        assert wrong.json()["field"] == "current_password"
        sent = await outbox_events(auth_app, "EmailChangeCodeIssued")
        assert all(e["email"] != new["email"] for e in sent), "no code before the password"

        asked = await browser.post(
            "/me/email", json=new | {"current_password": password}, headers=headers
        )
        assert asked.status_code == 202, asked.text
        [code_event] = [
            e
            for e in await outbox_events(auth_app, "EmailChangeCodeIssued")
            if e["email"] == new["email"]
        ]
        code = (await as_published(auth_app, code_event))["code"]
        confirmed = await browser.post(
            "/me/email/confirmation", json={"code": code}, headers=headers
        )
        assert confirmed.status_code == 200, confirmed.text

    told = await _notices(auth_app, me["id"], "email_changed")
    assert sorted(event["email"] for event in told) == sorted([me["email"], new["email"]])
    assert all(event["new_email"] == new["email"] for event in told)
    for event in told:
        assert "code" not in event
        assert "password" not in json.dumps(event).lower()


async def test_a_password_change_is_told_to_the_address(auth_app: AuthApp) -> None:
    async with auth_app.client() as browser:
        _, password = await _logged_in(auth_app, browser)
        me = (await browser.get("/me")).json()
        changed = await browser.post(
            "/password",
            json={"current_password": password, "new_password": "Nouveau-Colza-Tournesol-2026"},
            headers=browser_headers(browser),
        )
        assert changed.status_code == 204, changed.text
    [notice] = await _notices(auth_app, me["id"], "password_changed")
    assert notice["email"] == me["email"]


async def test_deleting_the_account_asks_for_the_password_and_says_goodbye(
    auth_app: AuthApp,
) -> None:
    async with auth_app.client() as browser:
        _, password = await _logged_in(auth_app, browser)
        me = (await browser.get("/me")).json()
        headers = browser_headers(browser)
        refused = await browser.request("DELETE", "/me", headers=headers)
        assert refused.status_code == 403, refused.text
        assert (await browser.get("/me")).status_code == 200, "still there"
        deleted = await browser.request(
            "DELETE", "/me", json={"current_password": password}, headers=headers
        )
        assert deleted.status_code == 204, deleted.text
    [farewell] = await _notices(auth_app, me["id"], "account_deleted")
    assert farewell["email"] == me["email"]


async def test_a_wrong_current_password_counts_as_a_failed_login(auth_app: AuthApp) -> None:
    async with auth_app.client() as browser:
        nir, password = await _logged_in(auth_app, browser)
        headers = browser_headers(browser)
        for attempt in range(auth_app.settings.account_free_failures):
            wrong = await browser.request(
                "DELETE",
                "/me",
                json={"current_password": f"Pas-Le-Bon-{attempt}-2026"},
                headers=headers,
            )
            assert wrong.status_code == 400
        # The next login must wait, as after as many failed logins.
        async with auth_app.client() as elsewhere:
            login = await elsewhere.post("/session", json={"nir": nir, "password": password})
        assert login.status_code == 429, login.text


# --------------------------------------------------------------------------- agents


async def test_a_manager_never_sets_an_agents_password_but_sends_a_link(
    seeded: AuthApp,
) -> None:
    supervisor = await agent_bearer(seeded, "supervisor")
    async with seeded.client() as tool:
        created = await tool.post(
            "/agents",
            json=new_agent(),
            headers=supervisor,
        )
        assert created.status_code == 201, created.text
        agent = created.json()
        set_it = await tool.patch(
            f"/agents/{agent['id']}",
            json={"password": "Je-Choisis-Pour-Toi-2026"},
            headers=supervisor,
        )
        assert set_it.status_code == 422
        assert "lien" in set_it.json()["detail"]

        # Created without a password: a link went out; a second one replaces it.
        sent = await tool.post(f"/agents/{agent['id']}/password-reset", headers=supervisor)
        assert sent.status_code == 202, sent.text
        links = [
            e
            for e in await outbox_events(seeded, "AgentPasswordResetRequested")
            if e["agent_id"] == agent["id"]
        ]
        assert len(links) == 2
        first, latest = [(await as_published(seeded, e))["reset_token"] for e in links]
        stale = await tool.post(
            "/agents/password/reset",
            json={"token": first, "password": "Mon-Propre-Choix-2026"},
        )
        assert stale.status_code == 400, "an earlier link stops working"
        chosen = await tool.post(
            "/agents/password/reset",
            json={"token": latest, "password": "Mon-Propre-Choix-2026"},
        )
        assert chosen.status_code == 204, chosen.text
        again = await tool.post(
            "/agents/password/reset",
            json={"token": latest, "password": "Encore-Un-Autre-2026"},
        )
        assert again.status_code == 400, "single use"
        login = await tool.post(
            "/agents/session",
            json={"email": agent["email"], "password": "Mon-Propre-Choix-2026", "bearer": True},
        )
        assert login.status_code == 200, login.text

        other_fund = await agent_bearer(seeded, "cno")
        refused = await tool.post(f"/agents/{agent['id']}/password-reset", headers=other_fund)
        assert refused.status_code == 403


async def test_an_agent_is_told_of_their_own_password_change_and_reset(seeded: AuthApp) -> None:
    """Like a member, an agent whose password changes (by them, knowing the current one, or
    with a link) is told at their address, « si ce n'est pas vous… »; no secret in the event."""
    admin = await agent_bearer(seeded, "admin")
    agent = await created_agent(seeded, admin, fund="DLG")
    told = [
        e
        for e in await outbox_events(seeded, "AgentAccountChanged")
        if e["agent_id"] == agent["id"]
    ]
    assert [e["change"] for e in told] == ["password_reset"], "the first password, by link"

    async with seeded.client() as tool:
        session = await tool.post(
            "/agents/session",
            json={"email": agent["email"], "password": AGENT_PASSWORD, "bearer": True},
        )
        assert session.status_code == 200, session.text
        changed = await tool.post(
            "/password",
            json={"current_password": AGENT_PASSWORD, "new_password": "Autre-Clef-Du-Nord-2027"},
            headers={"Authorization": f"Bearer {session.json()['access_token']}"},
        )
        assert changed.status_code == 204, changed.text

    told = [
        e
        for e in await outbox_events(seeded, "AgentAccountChanged")
        if e["agent_id"] == agent["id"]
    ]
    assert [e["change"] for e in told] == ["password_reset", "password_changed"]
    published = await as_published(seeded, told[-1])
    assert published["email"] == agent["email"]
    assert published["fund"] == "DLG"
    text = json.dumps(published).lower()
    for secret in (AGENT_PASSWORD.lower(), "autre-clef-du-nord-2027", "token", "jeton"):
        assert secret not in text
