"""A form sent twice at once (a double click, a retry) answers what it answers once, never
an error 500 from a unique constraint."""

from __future__ import annotations

import asyncio

import pytest

from services.auth.tests.support import (
    AuthApp,
    agent_bearer,
    as_published,
    cover,
    hashes_meet,
    member_form,
    new_agent,
    outbox_events,
    registered_member,
)

pytestmark = pytest.mark.integration


async def test_a_registration_sent_twice_at_once_is_accepted_twice(
    auth_app: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = member_form()
    await cover(auth_app, form)
    hashes_meet(auth_app, monkeypatch, parties=2)
    async with auth_app.client() as browser:
        answers = await asyncio.gather(*(browser.post("/members", json=form) for _ in range(2)))
        assert [answer.status_code for answer in answers] == [202, 202], [a.text for a in answers]
        assert answers[0].json() == answers[1].json()

        codes = [
            event
            for event in await outbox_events(auth_app, "ActivationCodeIssued")
            if event["email"] == form["email"]
        ]
        assert len(codes) == 2
        assert codes[0]["member_id"] == codes[1]["member_id"], "one account, its code replaced"
        latest = await as_published(auth_app, codes[-1])
        activated = await browser.post(
            "/members/activation", json={"nir": form["nir"][:13], "code": latest["code"]}
        )
        assert activated.status_code == 204, activated.text
        logged_in = await browser.post(
            "/session", json={"nir": form["nir"][:13], "password": form["password"]}
        )
        assert logged_in.status_code == 200, logged_in.text


async def test_an_agent_created_twice_at_once_is_created_once(
    seeded: AuthApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await agent_bearer(seeded, "admin")
    form = new_agent()
    hashes_meet(seeded, monkeypatch, parties=4)
    async with seeded.client() as tool:
        answers = await asyncio.gather(
            *(tool.post("/agents", json=form, headers=admin) for _ in range(4))
        )
        assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409], [
            answer.text for answer in answers
        ]
        for refused in (answer for answer in answers if answer.status_code == 409):
            assert refused.headers["content-type"] == "application/problem+json"
            assert (
                refused.json()["detail"] == "Un conseiller utilise déjà cette adresse électronique."
            )
        listed = (await tool.get("/agents", headers=admin)).json()["data"]
        assert [agent["email"] for agent in listed].count(form["email"]) == 1


async def test_a_login_sent_twice_at_once_after_a_typo_opens_two_sessions(
    auth_app: AuthApp,
) -> None:
    """The first success forgets the account's failures while the second waits for them."""
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        typo = await browser.post("/session", json={"nir": nir, "password": password + "x"})
        assert typo.status_code == 401
        answers = await asyncio.gather(
            *(browser.post("/session", json={"nir": nir, "password": password}) for _ in range(2))
        )
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
