"""A member's whole account journey, through the real database, outbox and broker."""

from __future__ import annotations

from typing import Any

import pytest

from services.auth.tests.support import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    AuthApp,
    EventLog,
    browser_headers,
    cover,
    member_form,
)

pytestmark = pytest.mark.integration


def _activation_for(email: str) -> Any:
    def match(topic: str, _key: str | None, value: dict[str, Any] | None) -> bool:
        return (
            topic == "auth.account-notification.v1"
            and value is not None
            and value["event_type"] == "ActivationCodeIssued"
            and value["email"] == email
        )

    return match


async def test_registration_activation_login_refresh_logout(
    auth_app: AuthApp, events: EventLog
) -> None:
    form = member_form()
    await cover(auth_app, form)
    thirteen = form["nir"][:13]
    async with auth_app.client() as browser:
        registered = await browser.post(
            "/members", json=form, headers={"Origin": "http://localhost:8080"}
        )
        assert registered.status_code == 202, registered.text

        # No account is usable before activation, even with the right password.
        early = await browser.post("/session", json={"nir": thirteen, "password": form["password"]})
        assert early.status_code == 403
        assert early.json()["type"].endswith("/account-not-activated")

        _, member_key, event = await events.wait_for(
            _activation_for(form["email"]), what="activation code"
        )
        assert event is not None
        assert event["given_name"] == "Lucie"
        assert event["fund"] == "NPC"
        assert len(event["code"]) == 6
        assert member_key == event["member_id"]

        wrong = await browser.post(
            "/members/activation",
            json={"nir": thirteen, "code": "000000" if event["code"] != "000000" else "111111"},
        )
        assert wrong.status_code == 400
        activated = await browser.post(
            "/members/activation", json={"nir": thirteen, "code": event["code"]}
        )
        assert activated.status_code == 204, activated.text

        # Activation publishes the member's contact data for the notifier.
        await events.wait_for(
            lambda topic, key, value: (
                topic == "auth.member-contact.v1"
                and key == event["member_id"]
                and value is not None
                and value["email"] == form["email"]
            ),
            what="contact data",
        )

        # Spaces and dots between digits are accepted at login.
        typed = f"{thirteen[0]} {thirteen[1:3]}.{thirteen[3:5]} {thirteen[5:7]} {thirteen[7:10]} {thirteen[10:]}"
        login = await browser.post(
            "/session",
            json={"nir": typed, "password": form["password"]},
            headers={"Origin": "http://localhost:8080"},
        )
        assert login.status_code == 200, login.text
        body = login.json()
        assert body["profile"]["kind"] == "member"
        assert body["profile"]["given_name"] == "Lucie"
        assert body["profile"]["nir_masked"].startswith("1*")
        assert "access_token" not in body, "browsers get cookies, not tokens in the body"
        assert body["csrf_token"] == browser.cookies.get(CSRF_COOKIE)
        cookies = login.headers.get_list("set-cookie")
        access_cookie = next(c for c in cookies if c.startswith(f"{ACCESS_COOKIE}="))
        refresh_cookie = next(c for c in cookies if c.startswith(f"{REFRESH_COOKIE}="))
        assert "HttpOnly" in access_cookie
        assert "SameSite=lax" in access_cookie
        assert "Path=/api/auth/session" in refresh_cookie
        assert "SameSite=strict" in refresh_cookie
        assert "Secure" not in access_cookie, "plain http://localhost has no Secure cookies"

        me = await browser.get("/me")
        assert me.status_code == 200
        assert me.json()["email"] == form["email"]

        first_access = browser.cookies.get(ACCESS_COOKIE)
        no_csrf = await browser.post("/session/refresh")
        assert no_csrf.status_code == 403, "a refresh through the cookie needs the CSRF header"
        refreshed = await browser.post("/session/refresh", headers=browser_headers(browser))
        assert refreshed.status_code == 200, refreshed.text
        assert browser.cookies.get(ACCESS_COOKIE) != first_access

        logged_out = await browser.delete("/session", headers=browser_headers(browser))
        assert logged_out.status_code == 200, logged_out.text
        assert browser.cookies.get(ACCESS_COOKIE) is None

    # The revoked session's access token no longer opens the auth API...
    async with auth_app.client() as other:
        other.cookies.set(ACCESS_COOKIE, first_access or "", domain="localhost.local")
        revoked = await other.get("/me", headers={"Authorization": f"Bearer {first_access}"})
        assert revoked.status_code == 401
