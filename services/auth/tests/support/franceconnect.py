"""Helpers of the FranceConnect tests: a browser going through the real FranceConnect-like
provider of the local stack, and a way to present the identity a test needs.

Redirects are followed by hand: the provider's last redirect points at our callback, which
the test then calls on the app with the provider's query string. The app itself fetches
discovery, JWKS, tokens and userinfo from the provider over real HTTP.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import secrets
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from services.auth.tests.support import random_nir

REDIRECT_URI = "http://localhost:8080/api/auth/franceconnect/callback"
LOGGED_OUT_URI = "http://localhost:8080/api/auth/franceconnect/logged-out"


async def start(browser: httpx.AsyncClient) -> str:
    """Click "S'identifier avec FranceConnect": where the app sends the browser."""
    response = await browser.get("/franceconnect/login")
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def through_provider(authorize_url: str, login: str) -> str:
    """Log in at the provider as ``login``; the query string it sends to our callback."""
    async with httpx.AsyncClient() as provider:
        response = await provider.get(authorize_url)
        for _ in range(10):
            if response.status_code == 200:
                found = re.search(r'<form[^>]*action="([^"]*)"', response.text)
                assert found is not None, response.text
                response = await provider.post(
                    urljoin(str(response.url), html.unescape(found[1])),
                    data={"login": login, "password": "123"},
                )
                continue
            assert response.status_code in (302, 303), response.text
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(REDIRECT_URI):
                return urlsplit(location).query
            response = await provider.get(location)
    raise AssertionError("the provider never sent the browser back")


async def callback(browser: httpx.AsyncClient, query: str) -> httpx.Response:
    response = await browser.get(f"/franceconnect/callback?{query}")
    assert response.status_code == 303, response.text
    return response


def refused_with(response: httpx.Response, code: str) -> bool:
    location = response.headers["location"]
    return location == f"http://localhost:8080/connexion?erreur={code}"


def pivot_of(
    nir: str, *, given_name: str, family_name: str, birth: date, email: str
) -> dict[str, str]:
    """What FranceConnect says of the person whose NIR (13 characters, born in France) and
    names are these: the identity pivot, the email it verified, and a subject of its own."""
    return {
        "sub": secrets.token_hex(32),
        "given_name": given_name,
        "family_name": family_name,
        "birthdate": birth.isoformat(),
        "gender": "male" if nir[0] in "137" else "female",
        "birthplace": nir[5:10],
        "birthcountry": "99100",
        "email": email,
    }


def person(**overrides: Any) -> dict[str, Any]:
    """A registration form for someone nobody else in the test database could be mistaken
    for (names of their own), with a NIR born in France."""
    birth = date(1970 + secrets.randbelow(30), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28))
    _, fifteen = random_nir(birth=birth)
    letters = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(8))
    form = {
        "nir": fifteen,
        "birth_date": birth.isoformat(),
        "given_name": "Hélène",
        "family_name": f"PIVOT-{letters}",
        "email": f"helene.{letters.lower()}@example.fr",
        "fund": "NPC",
        "password": "Tournesol-Blé-2026",
    }
    return form | overrides


class IdentityTransport(httpx.AsyncBaseTransport):
    """Stands between the app and the real provider, and makes its answers describe
    ``identity`` (subject, pivot, email): the ID token and the userinfo are signed again
    with a key of its own, which it adds to the provider's JWKS. Everything else (the
    authorization, the code, the nonce, the access token and its ``at_hash``) is the
    provider's own."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._kid = f"test-{secrets.token_hex(6)}"
        self.identity: dict[str, str] | None = None
        #: When set, each userinfo answer waits there: logins that meet go on together.
        self.meet: asyncio.Barrier | None = None

    def _public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self._key.public_key()))
        return jwk | {"kid": self._kid, "use": "sig", "alg": "ES256"}

    def _signed(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self._kid})

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        path = request.url.path
        if self.identity is None or not path.endswith(("/jwks", "/token", "/userinfo")):
            return response
        body = await response.aread()
        if response.status_code != 200:
            return httpx.Response(response.status_code, content=body)
        if path.endswith("/jwks"):
            keys = json.loads(body)
            keys["keys"].append(self._public_jwk())
            return httpx.Response(200, json=keys)
        if path.endswith("/token"):
            tokens = json.loads(body)
            claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
            tokens["id_token"] = self._signed(claims | {"sub": self.identity["sub"]})
            return httpx.Response(200, json=tokens)
        claims = jwt.decode(body.decode().strip(), options={"verify_signature": False})
        if self.meet is not None:
            async with asyncio.timeout(30):
                await self.meet.wait()
        return httpx.Response(
            200,
            content=self._signed(claims | self.identity).encode(),
            headers={"content-type": "application/jwt"},
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
