"""Registration, password reset and contact changes: no enumeration, single-use links,
sessions revoked, contact events for the notifier."""

from __future__ import annotations

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
    EventLog,
    as_published,
    browser_headers,
    cover,
    member_form,
    outbox_events,
    random_nir,
    registered_member,
)

pytestmark = pytest.mark.integration


def seen(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("instance", None)
    return response.status_code, body


async def log_in(browser: httpx.AsyncClient, nir: str, password: str) -> httpx.Response:
    return await browser.post("/session", json={"nir": nir, "password": password})


async def test_registration_answers_the_same_for_an_existing_account(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    again = member_form()
    again["nir"] = nir + f"{97 - int(nir) % 97:02d}"
    new = member_form()
    await cover(auth_app, new)
    async with auth_app.client() as browser:
        existing_answer = await browser.post("/members", json=again)
        new_answer = await browser.post("/members", json=new)
    assert seen(existing_answer) == seen(new_answer)
    issued = {e["email"] for e in await outbox_events(auth_app, "ActivationCodeIssued")}
    assert new["email"] in issued
    assert again["email"] not in issued, "no code is sent for an account that is already active"
    async with auth_app.client() as browser:
        assert (await log_in(browser, nir, password)).status_code == 200, "the account is untouched"


async def test_invalid_registrations_say_what_to_fix_in_french(auth_app: AuthApp) -> None:
    async with auth_app.client() as browser:
        wrong_key = member_form()
        wrong_key["nir"] = wrong_key["nir"][:13] + ("01" if wrong_key["nir"][13:] != "01" else "02")
        response = await browser.post("/members", json=wrong_key)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "nir"
        assert "clé" in response.json()["detail"]

        weak = await browser.post("/members", json=member_form(password="court"))
        assert weak.status_code == 422
        assert "12 caractères" in weak.json()["detail"]

        other_year = await browser.post(
            "/members", json=member_form() | {"birth_date": "1981-03-15"}
        )
        assert other_year.status_code == 422
        assert other_year.json()["errors"][0]["field"] == "birth_date"

        # The fund is the registry's: a form naming one is refused.
        picked_fund = await browser.post("/members", json=member_form(fund="NPC"))
        assert picked_fund.status_code == 422


async def test_activation_codes_allow_five_tries_and_expire(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    form = member_form()
    await cover(auth_app, form)
    async with auth_app.client() as browser:
        await browser.post("/members", json=form)
        [event] = [
            e
            for e in await outbox_events(auth_app, "ActivationCodeIssued")
            if e["email"] == form["email"]
        ]
        event = await as_published(auth_app, event)
        wrong = "000000" if event["code"] != "000000" else "111111"
        for _ in range(5):
            refused = await browser.post(
                "/members/activation", json={"nir": form["nir"][:13], "code": wrong}
            )
            assert refused.status_code == 400
            # The portal shows the detail beside the field the problem names.
            assert refused.json()["field"] == "code"
            assert "code n'est pas valide" in refused.json()["detail"]
        used_up = await browser.post(
            "/members/activation", json={"nir": form["nir"][:13], "code": event["code"]}
        )
        assert used_up.status_code == 400, "after 5 tries even the right code is refused"

        # A new code (the portal's "Recevoir un nouveau code") starts again, valid 24 hours.
        clock.advance(timedelta(minutes=2))
        renewed = await browser.post("/members/activation/renewal", json={"nir": form["nir"][:13]})
        assert renewed.status_code == 202
        codes = [
            e
            for e in await outbox_events(auth_app, "ActivationCodeIssued")
            if e["email"] == form["email"]
        ]
        assert len(codes) == 2
        clock.advance(timedelta(hours=24, seconds=1))
        latest = await as_published(auth_app, codes[-1])
        expired = await browser.post(
            "/members/activation", json={"nir": form["nir"][:13], "code": latest["code"]}
        )
        assert expired.status_code == 400


async def test_password_reset_is_single_use_revokes_sessions_and_does_not_enumerate(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    nir, password = await registered_member(auth_app)
    unknown, _ = random_nir()
    async with auth_app.client() as browser, auth_app.client() as other_device:
        assert (await log_in(other_device, nir, password)).status_code == 200
        known_answer = await browser.post("/password/forgotten", json={"nir": nir})
        unknown_answer = await browser.post("/password/forgotten", json={"nir": unknown})
        assert seen(known_answer) == seen(unknown_answer)
        assert known_answer.status_code == 202

        me = (await other_device.get("/me")).json()
        [reset] = [
            e
            for e in await outbox_events(auth_app, "PasswordResetRequested")
            if e["member_id"] == me["id"]
        ]
        reset = await as_published(auth_app, reset)
        assert len(reset["reset_token"]) >= 32
        weak = await browser.post(
            "/password/reset", json={"token": reset["reset_token"], "password": "faible"}
        )
        assert weak.status_code == 422, "a weak password does not burn the link"
        done = await browser.post(
            "/password/reset",
            json={"token": reset["reset_token"], "password": "Nouveau-Verger-2027"},
        )
        assert done.status_code == 204, done.text
        assert (await other_device.get("/me")).status_code == 401, (
            "every session ends after a reset"
        )
        again = await browser.post(
            "/password/reset", json={"token": reset["reset_token"], "password": "Encore-Autre-2028"}
        )
        assert again.status_code == 400, "a link works once"
        assert (await log_in(browser, nir, password)).status_code == 401
        assert (await log_in(browser, nir, "Nouveau-Verger-2027")).status_code == 200

        clock.advance(timedelta(minutes=1))  # one request a minute at most
        assert (await browser.post("/password/forgotten", json={"nir": nir})).status_code == 202
        latest = [
            e
            for e in await outbox_events(auth_app, "PasswordResetRequested")
            if e["member_id"] == me["id"]
        ][-1]
        latest = await as_published(auth_app, latest)
        clock.advance(timedelta(minutes=31))
        late = await browser.post(
            "/password/reset",
            json={"token": latest["reset_token"], "password": "Trop-Tard-Verger-2029"},
        )
        assert late.status_code == 400, "a link lives 30 minutes"


async def test_changing_the_password_keeps_this_session_and_ends_the_others(
    auth_app: AuthApp,
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser, auth_app.client() as other_device:
        await log_in(browser, nir, password)
        await log_in(other_device, nir, password)
        wrong = await browser.post(
            "/password",
            json={"current_password": "pas-le-bon", "new_password": "Nouveau-Colza-2027"},
            headers=browser_headers(browser),
        )
        assert wrong.status_code == 400
        changed = await browser.post(
            "/password",
            json={"current_password": password, "new_password": "Nouveau-Colza-2027"},
            headers=browser_headers(browser),
        )
        assert changed.status_code == 204, changed.text
        assert (await browser.get("/me")).status_code == 200
        assert (await other_device.get("/me")).status_code == 401


async def test_email_change_is_confirmed_by_a_code_and_announced(
    auth_app: AuthApp, events: EventLog
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        await log_in(browser, nir, password)
        member_id = (await browser.get("/me")).json()["id"]
        asked = await browser.post(
            "/me/email",
            json={"email": "nouvelle.adresse@example.fr", "current_password": password},
            headers=browser_headers(browser),
        )
        assert asked.status_code == 202, asked.text
        _, _, event = await events.wait_for(
            lambda topic, key, value: (
                value is not None
                and value["event_type"] == "EmailChangeCodeIssued"
                and key == member_id
            ),
            what="email change code",
        )
        assert event is not None
        assert event["email"] == "nouvelle.adresse@example.fr", "the code goes to the new address"
        confirmed = await browser.post(
            "/me/email/confirmation", json={"code": event["code"]}, headers=browser_headers(browser)
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["email"] == "nouvelle.adresse@example.fr"
        await events.wait_for(
            lambda topic, key, value: (
                topic == "auth.member-contact.v1"
                and key == member_id
                and value is not None
                and value["email"] == "nouvelle.adresse@example.fr"
            ),
            what="new contact data",
        )


async def test_deleting_the_account_publishes_a_tombstone(
    auth_app: AuthApp, events: EventLog
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        await log_in(browser, nir, password)
        member_id = (await browser.get("/me")).json()["id"]
        without_csrf = await browser.delete("/me")
        assert without_csrf.status_code == 403, "a cookie alone cannot delete an account"
        deleted = await browser.request(
            "DELETE", "/me", json={"current_password": password}, headers=browser_headers(browser)
        )
        assert deleted.status_code == 204
        await events.wait_for(
            lambda topic, key, value: (
                topic == "auth.member-contact.v1" and key == member_id and value is None
            ),
            what="tombstone",
        )
        assert (await log_in(browser, nir, password)).status_code == 401


async def test_a_refresh_token_used_twice_revokes_the_whole_session(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as tool:
        first = (
            await tool.post("/session", json={"nir": nir, "password": password, "bearer": True})
        ).json()
        second = await tool.post("/session/refresh", json={"refresh_token": first["refresh_token"]})
        assert second.status_code == 200
        rotated = second.json()
        assert rotated["refresh_token"] != first["refresh_token"]
        # Past the moment two tabs refreshing at once may take (see test_auth_refresh_grace).
        clock.advance(timedelta(seconds=auth_app.settings.refresh_reuse_grace_seconds + 1))
        stolen = await tool.post("/session/refresh", json={"refresh_token": first["refresh_token"]})
        assert stolen.status_code == 401
        legit = await tool.post(
            "/session/refresh", json={"refresh_token": rotated["refresh_token"]}
        )
        assert legit.status_code == 401, "reuse of an old token revokes the family"
        me = await tool.get("/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})
        assert me.status_code == 401


async def test_browser_requests_from_another_site_are_refused(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        cross_site_login = await browser.post(
            "/session",
            json={"nir": nir, "password": password},
            headers={"Origin": "https://evil.example"},
        )
        assert cross_site_login.status_code == 403
        await log_in(browser, nir, password)
        cross_site = await browser.delete(
            "/session", headers=browser_headers(browser) | {"Origin": "https://evil.example"}
        )
        assert cross_site.status_code == 403
        wrong_token = await browser.delete(
            "/session", headers={"X-CSRF-Token": "guess", "Origin": "http://localhost:8080"}
        )
        assert wrong_token.status_code == 403
        assert (await browser.get("/me")).status_code == 200, "the session is still open"


async def test_logging_out_after_the_access_token_expired_still_ends_the_session(
    auth_app: AuthApp,
) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        await log_in(browser, nir, password)
        refresh_token = browser.cookies.get(REFRESH_COOKIE)
        csrf = browser.cookies.get(CSRF_COOKIE)
        browser.cookies.delete(ACCESS_COOKIE)  # expired: the browser dropped it
        without_csrf = await browser.delete("/session")
        assert without_csrf.status_code == 403
        ended = await browser.delete("/session", headers={"X-CSRF-Token": csrf or ""})
        assert ended.status_code == 200
    async with auth_app.client() as tool:
        reused = await tool.post("/session/refresh", json={"refresh_token": refresh_token})
        assert reused.status_code == 401, "the session is revoked"
