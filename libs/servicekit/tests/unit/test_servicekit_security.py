"""Only genuine, current tokens for this API get in; cookies need the CSRF header."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, FastAPI
from pydantic import SecretStr

from servicekit.http import create_service_app
from servicekit.runtime import ServiceRuntime
from servicekit.security import (
    APP_HEADER,
    CSRF_HEADER,
    CurrentAgent,
    CurrentMember,
    CurrentPrincipal,
    InvalidToken,
    StaticKeySet,
    TokenVerifier,
    access_cookie,
    audience_of,
)
from servicekit.settings import ServiceSettings
from servicekit.testing import TokenMinter

pytestmark = pytest.mark.unit

ISSUER = "http://localhost:8080/api/auth"


@pytest.fixture(scope="module")
def minter() -> TokenMinter:
    return TokenMinter(issuer=ISSUER, api="messages")


def verifier(minter: TokenMinter) -> TokenVerifier:
    return TokenVerifier(
        StaticKeySet(minter.jwks()), issuer=ISSUER, audience=audience_of("messages")
    )


async def test_a_genuine_token_gives_the_principal(minter: TokenMinter) -> None:
    member_id = uuid.uuid4()
    principal = await verifier(minter).principal(
        minter.mint(subject=member_id, fund="CNO", given_name="Jeanne")
    )
    assert principal.subject == member_id
    assert principal.is_member
    assert principal.fund == "CNO"
    assert principal.given_name == "Jeanne"


def _unsigned(minter: TokenMinter) -> str:
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": minter.kid}).encode()
    ).rstrip(b"=")
    claims = jwt.decode(minter.mint(), options={"verify_signature": False})
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{header.decode()}.{body.decode()}."


def _tampered(minter: TokenMinter) -> str:
    header, body, signature = minter.mint(role=None).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["kind"], claims["role"] = "agent", "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _other_key(minter: TokenMinter) -> str:
    other = ec.generate_private_key(ec.SECP256R1())
    claims = jwt.decode(minter.mint(), options={"verify_signature": False})
    return jwt.encode(claims, other, algorithm="ES256", headers={"kid": minter.kid})


def _hs256_with_public_key(minter: TokenMinter) -> str:
    claims = jwt.decode(minter.mint(), options={"verify_signature": False})
    return jwt.encode(claims, "not-the-key-" * 4, algorithm="HS256", headers={"kid": minter.kid})


@pytest.mark.parametrize(
    "forge",
    [
        _unsigned,
        _tampered,
        _other_key,
        _hs256_with_public_key,
        lambda m: m.mint(lifetime=-120),
        lambda m: m.mint(api="catalog"),
        lambda m: m.mint(iss="https://attacker.example"),
        lambda m: m.mint(kind="superuser"),
        lambda m: m.mint(kind="agent", role="root"),
        lambda m: "not.a.token",
    ],
    ids=[
        "alg-none",
        "tampered",
        "other-key",
        "hs256",
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "unknown-kind",
        "unknown-role",
        "garbage",
    ],
)
async def test_forged_or_stale_tokens_are_refused(minter: TokenMinter, forge: object) -> None:
    token = forge(minter)  # type: ignore[operator]
    with pytest.raises(InvalidToken):
        await verifier(minter).principal(token)


class KitSettings(ServiceSettings):
    service_name: str = "messages"


@pytest.fixture
async def client(minter: TokenMinter) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.post("/member-action")
    async def member_action(member: CurrentMember) -> dict[str, str]:
        return {"member": str(member.subject)}

    @router.get("/agent-view")
    async def agent_view(agent: CurrentAgent) -> dict[str, str]:
        return {"agent": str(agent.subject)}

    @router.get("/member-view")
    async def member_view(member: CurrentMember) -> dict[str, str]:
        return {"member": str(member.subject)}

    @router.get("/anyone-view")
    async def anyone_view(principal: CurrentPrincipal) -> dict[str, str]:
        return {"kind": principal.kind}

    settings = KitSettings(
        database_url=SecretStr("postgresql+asyncpg://kit:kit@127.0.0.1:1/kit"), auth_issuer=ISSUER
    )
    runtime = ServiceRuntime(settings, keys=StaticKeySet(minter.jwks()))
    app: FastAPI = create_service_app(runtime, title="kit", description="kit", routers=[router])
    # The routes under test touch neither the database nor Kafka: no lifespan needed.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost:8080"
    ) as http:
        yield http
    await runtime.engine.dispose()


async def test_no_token_is_401_with_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/member-action")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "connecté" in response.json()["detail"]


async def test_a_member_token_on_an_agent_route_is_403(
    client: httpx.AsyncClient, minter: TokenMinter
) -> None:
    response = await client.get("/agent-view", headers={"Authorization": f"Bearer {minter.mint()}"})
    assert response.status_code == 403


async def test_a_bearer_token_needs_no_csrf_header(
    client: httpx.AsyncClient, minter: TokenMinter
) -> None:
    response = await client.post(
        "/member-action", headers={"Authorization": f"Bearer {minter.mint()}"}
    )
    assert response.status_code == 200


async def test_a_cookie_needs_the_matching_csrf_header(
    client: httpx.AsyncClient, minter: TokenMinter
) -> None:
    token = minter.mint(csrf="the-csrf-token")
    client.cookies.set(access_cookie("portal", "messages", secure=False), token)
    try:
        assert (await client.post("/member-action")).status_code == 403
        assert (
            await client.post("/member-action", headers={CSRF_HEADER: "another"})
        ).status_code == 403
        allowed = await client.post("/member-action", headers={CSRF_HEADER: "the-csrf-token"})
        assert allowed.status_code == 200
        foreign = await client.post(
            "/member-action",
            headers={CSRF_HEADER: "the-csrf-token", "Origin": "https://attacker.example"},
        )
        assert foreign.status_code == 403
        # Reading is not a state change: no header needed.
        assert (await client.get("/anyone-view")).json() == {"kind": "member"}
        # An agent's route, on a plain link, reads the back office's cookie: none here.
        assert (await client.get("/agent-view")).status_code == 401
    finally:
        client.cookies.clear()


async def test_an_expired_cookie_is_401(client: httpx.AsyncClient, minter: TokenMinter) -> None:
    client.cookies.set(
        access_cookie("backoffice", "messages", secure=False),
        minter.mint(lifetime=-int(time.time() % 1 + 120)),
    )
    try:
        assert (await client.get("/agent-view")).status_code == 401
    finally:
        client.cookies.clear()


async def test_each_web_app_has_its_own_cookies_and_the_request_names_its_app(
    client: httpx.AsyncClient, minter: TokenMinter
) -> None:
    """A member's portal session and an agent's back-office session live side by side."""
    member_id, agent_id = uuid.uuid4(), uuid.uuid4()
    member = minter.mint(kind="member", api="messages", subject=member_id, csrf="jeton-portail")
    agent = minter.mint(kind="agent", role="agent", api="messages", subject=agent_id)
    client.cookies.set(access_cookie("portal", "messages", secure=False), member)
    client.cookies.set(access_cookie("backoffice", "messages", secure=False), agent)
    try:
        # The back office's request reads the back office's cookie.
        seen = await client.get("/agent-view", headers={APP_HEADER: "backoffice"})
        assert seen.status_code == 200
        # The portal's reads the portal's: a member.
        assert (await client.get("/agent-view", headers={APP_HEADER: "portal"})).status_code == 403
        # A plain link (a download) names no app: an agent's route reads the back office's
        # cookie, a member's the portal's, a route of both the portal's first.
        assert (await client.get("/agent-view")).json() == {"agent": str(agent_id)}
        assert (await client.get("/member-view")).json() == {"member": str(member_id)}
        assert (await client.get("/anyone-view")).json() == {"kind": "member"}
        # And a plain link never changes anything: the CSRF header is still asked.
        assert (await client.post("/member-action")).status_code == 403
        # Another API's cookie is not this one's.
        client.cookies.clear()
        client.cookies.set(access_cookie("backoffice", "catalog", secure=False), agent)
        assert (await client.get("/agent-view")).status_code == 401
    finally:
        client.cookies.clear()


def test_cookie_names_carry_the_host_prefix_outside_plain_localhost() -> None:
    from servicekit.security import csrf_cookie, refresh_cookie

    assert access_cookie("portal", "messages", secure=True) == "__Host-mm-portal-messages"
    assert csrf_cookie("backoffice", secure=True) == "__Host-mm-backoffice-csrf"
    assert refresh_cookie("portal", secure=True) == "__Secure-mm-portal-refresh"
    assert access_cookie("portal", "messages", secure=False) == "mm-portal-messages"


async def test_a_token_for_another_api_is_refused(minter: TokenMinter) -> None:
    with pytest.raises(InvalidToken):
        await verifier(minter).principal(minter.mint(api="catalog"))
    principal = await verifier(minter).principal(minter.mint(api="messages"))
    assert principal.is_member


@pytest.mark.parametrize(
    "audience",
    [
        [audience_of(api) for api in ("auth", "catalog", "messages", "notifier")],
        [audience_of("messages"), audience_of("catalog")],
        [audience_of("messages")],
    ],
    ids=["the-four-apis", "two-apis", "a-list-of-one"],
)
async def test_a_token_for_several_apis_is_refused_even_when_it_names_this_one(
    minter: TokenMinter, audience: list[str]
) -> None:
    """PyJWT alone accepts an ``aud`` list containing ours: such a token would open every API
    it lists. Only ``aud`` = this API, as the auth service signs it, is accepted."""
    with pytest.raises(InvalidToken, match="this API alone"):
        await verifier(minter).principal(minter.mint(aud=audience))


class _Revocations:
    def __init__(self) -> None:
        self.revoked: set[object] = set()

    def is_revoked(self, session_id: object) -> bool:
        return session_id in self.revoked


class _RotatingKeys:
    """A key set whose key for a ``kid`` can be replaced (a JWKS refreshed)."""

    def __init__(self, minter: TokenMinter) -> None:
        self.minter = minter
        self.rotate()

    def rotate(self) -> None:
        self.keys = StaticKeySet(self.minter.jwks())

    async def key_for(self, kid: str) -> jwt.PyJWK:
        return await self.keys.key_for(kid)


async def test_a_token_seen_before_is_not_verified_again_but_its_expiry_and_session_are(
    minter: TokenMinter, monkeypatch: pytest.MonkeyPatch
) -> None:
    revocations = _Revocations()
    keys = _RotatingKeys(minter)
    tokens = TokenVerifier(
        keys, issuer=ISSUER, audience=audience_of("messages"), revocations=revocations
    )
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    token = minter.mint(lifetime=60, sid="session-1")
    for _ in range(3):
        assert (await tokens.principal(token)).session_id == "session-1"
    assert decoded == [token]  # its signature checked once

    keys.rotate()  # the JWKS refreshed: the token is checked against the key held now
    await tokens.principal(token)
    assert decoded == [token, token]

    revocations.revoked.add("session-1")  # the member logged out everywhere
    with pytest.raises(InvalidToken, match="revoked"):
        await tokens.principal(token)

    later = minter.mint(lifetime=60, sid="session-2")
    await tokens.principal(later)
    await tokens.principal(later)
    assert decoded.count(later) == 1
    # Past its expiry, a token is never taken from what was seen: it goes through the whole
    # check again (whose library reads its own clock, not moved here: still current).
    expires = int(json.loads(base64.urlsafe_b64decode(later.split(".")[1] + "=="))["exp"])
    monkeypatch.setattr(time, "time", lambda: expires + tokens.leeway + 1)
    await tokens.principal(later)
    assert decoded.count(later) == 2


async def test_a_forged_token_is_refused_however_often_a_genuine_one_was_seen(
    minter: TokenMinter,
) -> None:
    tokens = verifier(minter)
    genuine = minter.mint(role=None)
    await tokens.principal(genuine)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await tokens.principal(_tampered(minter))
    assert (await tokens.principal(genuine)).is_member
