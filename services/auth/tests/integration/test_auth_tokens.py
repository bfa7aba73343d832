"""Access tokens: forged ones are refused, keys rotate without logging anyone out."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from servicekit.security import JwksClient, TokenVerifier, audience_of
from servicekit.testing import MovableClock
from services.auth.tests.support import AuthApp, registered_member

pytestmark = pytest.mark.integration


async def bearer_session(auth_app: AuthApp) -> dict[str, Any]:
    nir, password = await registered_member(auth_app)
    async with auth_app.client() as tool:
        response = await tool.post(
            "/session", json={"nir": nir, "password": password, "bearer": True}
        )
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


async def bearer_login(auth_app: AuthApp) -> tuple[str, dict[str, Any]]:
    """The auth API's access token of a new session, and its claims."""
    token: str = (await bearer_session(auth_app))["access_token"]
    return token, jwt.decode(token, options={"verify_signature": False})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def status_of(auth_app: AuthApp, token: str) -> int:
    async with auth_app.client() as tool:
        response = await tool.get("/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def test_a_genuine_token_carries_the_shared_claims(auth_app: AuthApp) -> None:
    token, claims = await bearer_login(auth_app)
    assert await status_of(auth_app, token) == 200
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["kid"]
    assert claims["kind"] == "member"
    assert claims["fund"] == "NPC"
    assert claims["iss"] == auth_app.settings.auth_issuer
    assert claims["aud"] == audience_of("auth"), "one audience: this API alone"
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60
    for name in ("sub", "sid", "csrf", "given_name", "family_name"):
        assert claims.get(name), name


async def test_forged_tokens_get_401(auth_app: AuthApp) -> None:
    token, claims = await bearer_login(auth_app)
    header = jwt.get_unverified_header(token)
    kid, private = await auth_app.app.state.adapters.keyring.signing_key()
    now = int(time.time())

    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}."
    other_key = jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid}
    )
    expired = jwt.encode(
        claims | {"iat": now - 3600, "nbf": now - 3600, "exp": now - 1800},
        private,
        algorithm="ES256",
        headers={"kid": kid},
    )
    wrong_audience = jwt.encode(
        claims | {"aud": [audience_of("elsewhere")]},
        private,
        algorithm="ES256",
        headers={"kid": kid},
    )
    signing_input, signature = token.rsplit(".", 1)
    _, payload = signing_input.split(".")
    tampered_claims = claims | {"fund": "CNO", "kind": "agent", "role": "admin"}
    tampered = f"{signing_input.split('.')[0]}.{_b64(tampered_claims)}.{signature}"
    hmac_with_public_key = jwt.encode(
        claims,
        "a-shared-secret-guessed-by-an-attacker",
        algorithm="HS256",
        headers={"kid": header["kid"]},
    )

    forged = {
        "alg none": unsigned,
        "another key": other_key,
        "expired": expired,
        "wrong audience": wrong_audience,
        "tampered claims": tampered,
        "HS256": hmac_with_public_key,
        "garbage": "not.a.token",
    }
    for name, value in forged.items():
        assert await status_of(auth_app, value) == 401, name
    assert payload  # the genuine token still works afterwards
    assert await status_of(auth_app, token) == 200


async def test_a_session_has_one_token_per_api_each_naming_its_api_alone(
    auth_app: AuthApp,
) -> None:
    session = await bearer_session(auth_app)
    tokens = session["access_tokens"]
    assert set(tokens) == {"auth", "catalog", "messages", "notifier"}
    assert session["access_token"] == tokens["auth"]
    for api, token in tokens.items():
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] == audience_of(api)
    sessions = {jwt.decode(t, options={"verify_signature": False})["sid"] for t in tokens.values()}
    assert len(sessions) == 1, "one session"
    # The auth API refuses the tokens minted for the others.
    for api in ("catalog", "messages", "notifier"):
        assert await status_of(auth_app, tokens[api]) == 401, api


async def test_other_services_verify_tokens_through_the_published_jwks(auth_app: AuthApp) -> None:
    """What every other service does: fetch the JWKS and verify with its own audience."""
    token = (await bearer_session(auth_app))["access_tokens"]["messages"]
    async with auth_app.client() as anyone:
        jwks = (await anyone.get("/.well-known/jwks.json")).json()
    assert all("d" not in key for key in jwks["keys"]), "no private part is published"
    assert len(jwks["keys"]) >= 2, "the next key is published before it signs"

    class Published:
        async def key_for(self, kid: str) -> jwt.PyJWK:
            return {key["kid"]: jwt.PyJWK.from_dict(key) for key in jwks["keys"]}[kid]

    verifier = TokenVerifier(
        Published(), issuer=auth_app.settings.auth_issuer, audience=audience_of("messages")
    )
    principal = await verifier.principal(token)
    assert principal.is_member
    assert JwksClient  # the real services use JwksClient on the same document


async def test_keys_rotate_without_logging_anyone_out(
    auth_app: AuthApp, clock: MovableClock
) -> None:
    keyring = auth_app.app.state.adapters.keyring
    before, _ = await bearer_login(auth_app)
    old_kid = jwt.get_unverified_header(before)["kid"]
    published_before = {key["kid"] for key in (await keyring.jwks())["keys"]}

    report = await keyring.rotate(force=True)
    assert report.retired == old_kid
    assert report.activated in published_before, "the new signing key was published before"

    after, _ = await bearer_login(auth_app)
    assert jwt.get_unverified_header(after)["kid"] == report.activated
    assert await status_of(auth_app, before) == 200, "tokens of the retired key still verify"
    assert old_kid in {key["kid"] for key in (await keyring.jwks())["keys"]}

    clock.advance(keyring.retired_for + timedelta(seconds=1))
    assert old_kid not in {key["kid"] for key in (await keyring.jwks())["keys"]}


async def test_a_next_key_published_only_now_waits_before_signing(auth_app: AuthApp) -> None:
    keyring = auth_app.app.state.adapters.keyring
    await keyring.rotate(force=True)  # the next key is brand new now
    report = await keyring.rotate()
    assert report.activated is None
    assert report.waiting_until is not None
