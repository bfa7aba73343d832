"""FranceConnect, through the real FranceConnect-like provider of the local stack.

The browser's side is played by two clients: one on our app (in-process, as the gateway
serves it) and one on the provider (real HTTP, its own cookies); see ``franceconnect_support``.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from auth.config import Settings
from servicekit.testing import MovableClock
from services.auth.tests.support import (
    ACCESS_COOKIE,
    ORIGIN,
    AuthApp,
    browser_headers,
    registered_member,
    running_app,
)
from services.auth.tests.support.franceconnect import (
    LOGGED_OUT_URI,
    REDIRECT_URI,
    callback,
    refused_with,
    start,
    through_provider,
)

pytestmark = pytest.mark.integration

PASSWORDS = {"paul": ("1800359350123", "Betterave-Lin-2026")}


async def test_the_authorization_request_is_franceconnects(seeded: AuthApp) -> None:
    async with seeded.client() as browser:
        url = await start(browser)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(seeded.settings.franceconnect_issuer + "/authorize?")
    assert query["acr_values"] == ["eidas1"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert set(query["scope"][0].split()) >= {
        "openid",
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthplace",
        "birthcountry",
        "email",
    }


async def test_the_browser_binding_is_a_host_cookie_of_the_portal(
    base_settings: Settings, clock: MovableClock
) -> None:
    """Like the session's cookies, FranceConnect's pending ones are ``__Host-`` (Secure,
    ``Path=/``, no ``Domain``: no sibling site can plant one) and the portal's own; the prefix
    is left out only on plain http://localhost."""
    settings = base_settings.model_copy(
        update={"public_base_url": "https://mes-messages.example.fr"}
    )
    async with running_app(settings, clock) as app, app.client() as browser:
        response = await browser.get("/franceconnect/login")
    assert response.status_code == 303, response.text
    [cookie] = response.headers.get_list("set-cookie")
    name, _, attributes = cookie.partition(";")
    assert name.split("=")[0] == "__Host-mm-portal-fc"
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in attributes.split(";")}
    assert flags["path"] == "Path=/"
    assert {"secure", "httponly", "samesite"} <= flags.keys()
    assert "domain" not in flags


async def test_an_identity_matching_one_member_logs_straight_in_then_out(seeded: AuthApp) -> None:
    async with seeded.client() as browser:
        answer = await callback(browser, await through_provider(await start(browser), "camille"))
        assert answer.headers["location"] == "http://localhost:8080/messages"
        me = await browser.get("/me")
        assert me.status_code == 200
        assert me.json()["given_name"] == "Camille"
        assert me.json()["franceconnect_linked"] is True

        # Logging out is a state change: never a GET, which any page could send a browser to.
        assert (await browser.get("/franceconnect/logout")).status_code == 405
        without_csrf = await browser.post("/franceconnect/logout", headers={"Origin": ORIGIN})
        assert without_csrf.status_code == 403
        assert (await browser.get("/me")).status_code == 200, "still logged in"

        # It answers where the browser goes next: the provider's end-session endpoint.
        logout = await browser.post("/franceconnect/logout", headers=browser_headers(browser))
        assert logout.status_code == 200, logout.text
        end_session = logout.json()["logout_url"]
        parameters = parse_qs(urlsplit(end_session).query)
        assert end_session.startswith(seeded.settings.franceconnect_issuer + "/session/end?")
        assert parameters["post_logout_redirect_uri"] == [LOGGED_OUT_URI]
        assert parameters["id_token_hint"][0].count(".") == 2
        assert browser.cookies.get(ACCESS_COOKIE) is None
        assert (await browser.get("/me")).status_code == 401

        async with httpx.AsyncClient() as provider:
            page = await provider.get(end_session)
            assert page.status_code == 200
            action = html.unescape(re.search(r'<form[^>]*action="([^"]*)"', page.text)[1])
            fields = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
            )
            confirmed = await provider.post(
                urljoin(str(page.url), action), data=fields | {"logout": "yes"}
            )
            assert confirmed.status_code == 303
            back = confirmed.headers["location"]
        assert back.startswith(LOGGED_OUT_URI)
        home = await browser.get("/franceconnect/logged-out?" + urlsplit(back).query)
        assert home.headers["location"] == "http://localhost:8080/"

        # Later logins go straight in too.
        again = await callback(browser, await through_provider(await start(browser), "camille"))
        assert again.headers["location"] == "http://localhost:8080/messages"


async def test_the_franceconnect_logout_of_a_password_session_goes_home(auth_app: AuthApp) -> None:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as browser:
        assert (await browser.post("/session", json={"nir": nir, "password": password})).is_success
        logout = await browser.post("/franceconnect/logout", headers=browser_headers(browser))
        assert logout.status_code == 200, logout.text
        assert logout.json() == {"logout_url": "http://localhost:8080/"}
        assert (await browser.get("/me")).status_code == 401


async def test_an_ambiguous_identity_is_linked_once_with_number_and_password(
    seeded: AuthApp,
) -> None:
    nir, password = PASSWORDS["paul"]
    async with seeded.client() as browser:
        answer = await callback(browser, await through_provider(await start(browser), "paul"))
        if answer.headers["location"].endswith("/messages"):
            pytest.skip("Paul's identity was linked by an earlier run on this database")
        assert answer.headers["location"] == "http://localhost:8080/connexion?franceconnect=lier"
        assert (await browser.get("/me")).status_code == 401, "no session before the confirmation"

        wrong = await browser.post(
            "/franceconnect/link", json={"nir": nir, "password": "Pas-Le-Bon-1234"}
        )
        assert wrong.status_code == 401
        linked = await browser.post("/franceconnect/link", json={"nir": nir, "password": password})
        assert linked.status_code == 200, linked.text
        assert linked.json()["profile"]["family_name"] == "DURAND-LEROY"
        assert linked.json()["profile"]["franceconnect_linked"] is True

    async with seeded.client() as later:
        straight = await callback(later, await through_provider(await start(later), "paul"))
        assert straight.headers["location"] == "http://localhost:8080/messages"


async def test_a_wrong_state_or_another_browser_is_refused(seeded: AuthApp) -> None:
    async with seeded.client() as browser:
        query = parse_qs(await through_provider(await start(browser), "jeanne"))
        forged = urlencode({"code": query["code"][0], "state": "x" * 43, "iss": query["iss"][0]})
        refused = await callback(browser, forged)
        assert refused_with(refused, "franceconnect-invalide")
        assert browser.cookies.get(ACCESS_COOKIE) is None

    async with seeded.client() as victim, seeded.client() as attacker:
        # An answer obtained by someone else, pushed into the victim's browser.
        query = await through_provider(await start(attacker), "jeanne")
        assert refused_with(await callback(victim, query), "franceconnect-invalide")
        assert victim.cookies.get(ACCESS_COOKIE) is None


async def test_a_replayed_nonce_or_answer_is_refused(
    seeded: AuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    async with seeded.client() as browser:
        first_url = await start(browser)
        first_query = await through_provider(first_url, "jeanne")
        assert (await callback(browser, first_query)).headers["location"].endswith("/messages")
        replayed = await callback(browser, first_query)
        assert refused_with(replayed, "franceconnect-invalide"), "a state serves once"

        old_nonce = parse_qs(urlsplit(first_url).query)["nonce"][0]
        second_url = await start(browser)
        parts = urlsplit(second_url)
        parameters = {key: values[0] for key, values in parse_qs(parts.query).items()}
        parameters["nonce"] = old_nonce
        tampered = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(parameters)}"
        refused = await callback(browser, await through_provider(tampered, "jeanne"))
        assert refused_with(refused, "franceconnect-invalide")
        assert "nonce does not match" in caplog.text


async def test_an_expired_id_token_is_refused(
    seeded: AuthApp, clock: MovableClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with seeded.client() as browser:
        query = await through_provider(await start(browser), "jeanne")
        clock.advance(timedelta(minutes=5))  # the provider's ID tokens live 60 seconds
        assert refused_with(await callback(browser, query), "franceconnect-invalide")
        assert "ID token: expired" in caplog.text
        assert browser.cookies.get(ACCESS_COOKIE) is None


class ResigningTransport(httpx.AsyncBaseTransport):
    """Stands between the app and the provider and signs the ID token with another key,
    under the provider's key id."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.resigned = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if not request.url.path.endswith("/token"):
            return response
        body = json.loads(await response.aread())
        if "id_token" in body:
            kid = jwt.get_unverified_header(body["id_token"])["kid"]
            claims = jwt.decode(body["id_token"], options={"verify_signature": False})
            body["id_token"] = jwt.encode(
                claims, self._key, algorithm="ES256", headers={"kid": kid}
            )
            self.resigned += 1
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_an_id_token_signed_by_another_key_is_refused(
    base_settings: Settings, clock: MovableClock, seeded: AuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    transport = ResigningTransport()
    async with (
        httpx.AsyncClient(transport=transport) as between,
        running_app(base_settings, clock, franceconnect_http=between) as app,
        app.client() as browser,
    ):
        # The new app configured logging afresh: listen again.
        logging.getLogger().addHandler(caplog.handler)
        answer = await callback(browser, await through_provider(await start(browser), "jeanne"))
        assert transport.resigned == 1
        assert refused_with(answer, "franceconnect-invalide")
        assert "ID token: Signature verification failed" in caplog.text
        assert browser.cookies.get(ACCESS_COOKIE) is None


async def test_the_provider_saying_no_sends_back_to_the_login_page(seeded: AuthApp) -> None:
    async with seeded.client() as browser:
        await start(browser)
        answer = await callback(browser, "error=access_denied&state=whatever")
        assert refused_with(answer, "franceconnect-annule")
