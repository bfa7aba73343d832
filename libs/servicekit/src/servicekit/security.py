"""Access tokens: ES256 JWTs from the auth service, verified locally against its JWKS.

One audience per API: the auth service signs one access token for each (``aud`` =
``urn:mes-messages:<service>``), and each service accepts only the tokens whose audience names
it, so a token that leaks from one API opens no other.

Browsers carry the tokens in HttpOnly cookies, one per API and per web app, named
``__Host-mm-<app>-<service>`` (``app``: ``portal`` or ``backoffice``; the ``__Host-`` prefix,
which binds a cookie to our origin, Secure, with ``Path=/``, is left out only on plain
http://localhost): the portal's session and the back office's live side by side in one
browser. A request says which web app it comes from in ``X-Mes-Messages-App``; without it
(a plain link: a download), a member's route reads the portal's cookie, an agent's route the
back office's, and a route of both the portal's, then the back office's. Every state-changing request must also
carry the CSRF token in a header, whose hash the access token holds (a signed double submit),
and come from our own origin when the browser says where it comes from. Back-office tools
send ``Authorization: Bearer``, which a browser never adds by itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx
import jwt
from fastapi import Depends, Request

from servicekit.logging import get_logger
from servicekit.problems import Problem

logger = get_logger(__name__)

ALGORITHM = "ES256"
CSRF_HEADER = "X-CSRF-Token"
#: Which web app a browser's request comes from: its cookies are the ones read.
APP_HEADER = "X-Mes-Messages-App"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Kind = Literal["member", "agent"]
AgentRole = Literal["agent", "supervisor", "admin"]
App = Literal["portal", "backoffice"]
#: The web apps, in the order their cookies are tried when a request does not say.
APPS: tuple[App, ...] = ("portal", "backoffice")


def audience_of(service: str) -> str:
    """The audience a service accepts: each access token names the one API it is meant for."""
    return f"urn:mes-messages:{service}"


def app_of(kind: str) -> App:
    """Members use the portal, agents the back office."""
    return "portal" if kind == "member" else "backoffice"


def access_cookie(app: str, service: str, *, secure: bool) -> str:
    """The cookie holding ``app``'s access token for ``service``'s API."""
    return f"{'__Host-' if secure else ''}mm-{app}-{service}"


def csrf_cookie(app: str, *, secure: bool) -> str:
    """The readable cookie holding ``app``'s CSRF token (copied into ``X-CSRF-Token``)."""
    return f"{'__Host-' if secure else ''}mm-{app}-csrf"


def refresh_cookie(app: str, *, secure: bool) -> str:
    """``app``'s refresh token: ``__Secure-``, as its path is the auth API's session routes
    (a ``__Host-`` cookie must have ``Path=/``)."""
    return f"{'__Secure-' if secure else ''}mm-{app}-refresh"


def requested_apps(request: Request) -> tuple[App, ...]:
    """The web app the request names, or every app in turn."""
    named = request.headers.get(APP_HEADER, "").strip().lower()
    for app in APPS:
        if named == app:
            return (app,)
    return APPS


def csrf_hash(csrf_token: str) -> str:
    """What the access token holds of the CSRF token."""
    digest = hashlib.sha256(csrf_token.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class InvalidToken(Exception):
    pass


class KeySet(Protocol):
    async def key_for(self, kid: str) -> jwt.PyJWK: ...


class StaticKeySet:
    """Keys given up front (a service that signs its own tokens, or a test)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(dict(jwks)).keys}

    async def key_for(self, kid: str) -> jwt.PyJWK:
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken(f"unknown key {kid!r}") from None


class JwksClient:
    """The auth service's JWKS, cached.

    A known ``kid`` never waits for the network: once the cache is older than ``ttl`` it is
    refreshed in the background while the keys it holds keep verifying (a slow or absent
    auth service must not slow every request of every service). An unknown ``kid`` (a key
    just rotated in) triggers a refetch at once, at most every ``min_refresh`` seconds and
    bounded by ``timeout``."""

    def __init__(
        self, url: str, *, ttl: float = 300.0, min_refresh: float = 5.0, timeout: float = 3.0
    ) -> None:
        self._url = url
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._timeout = timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None

    async def key_for(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        if kid in self._keys:
            if now - self._fetched_at > self._ttl and (
                self._background is None or self._background.done()
            ):
                self._background = asyncio.create_task(self._refresh_once())
            return self._keys[kid]
        if now - self._attempted_at > self._min_refresh:
            await self._refresh_once()
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken(f"unknown key {kid!r}") from None

    async def _refresh_once(self) -> None:
        """One fetch at a time; callers that waited on it use its result."""
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                return
            self._attempted_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    keys = jwt.PyJWKSet.from_dict(response.json()).keys
            except Exception as error:
                # Keep serving with the keys we have; tokens signed by them still verify.
                logger.warning("JWKS refresh failed", url=self._url, error=repr(error))
                return
            self._keys = {key.key_id: key for key in keys if key.key_id}
            self._fetched_at = time.monotonic()


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the access token says."""

    subject: uuid.UUID
    kind: Kind
    fund: str
    role: AgentRole | None = None
    skills: tuple[str, ...] = ()
    session_id: str | None = None
    given_name: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_member(self) -> bool:
        return self.kind == "member"

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent"


class RevokedSessions(Protocol):
    def is_revoked(self, session_id: object) -> bool: ...


#: Verified tokens a service remembers (the most recently used): a few thousand sessions
#: active within a token's lifetime, a few hundred bytes each.
VERIFIED_TOKENS_KEPT = 10_000


class TokenVerifier:
    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30.0,
        revocations: RevokedSessions | None = None,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        #: Sessions ended before their time (``servicekit.revocations``): their tokens are
        #: refused although their signature and expiry are fine.
        self.revocations = revocations
        #: Tokens whose signature, issuer and audience were checked, with their claims and
        #: the key that checked them: a browser sends the same token with every request of
        #: its quarter of an hour, and an ES256 verification is the costliest step of one.
        self._verified: OrderedDict[str, tuple[dict[str, Any], str, jwt.PyJWK]] = OrderedDict()

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is genuine, current, for this API alone and its session
        not revoked. A token seen before is not checked again for what cannot change (its
        signature, issuer, audience), as long as the key that signed it is still the one
        this service holds for its ``kid``; its expiry and its session are, every time."""
        seen = self._verified.get(token)
        if seen is not None:
            claims, kid, key = seen
            if await self.keys.key_for(kid) is key and time.time() < claims["exp"] + self.leeway:
                self._verified.move_to_end(token)
                return self._unrevoked(claims)
            del self._verified[token]
        claims, kid, key = await self._check(token)
        self._verified[token] = (claims, kid, key)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return self._unrevoked(claims)

    def _unrevoked(self, claims: dict[str, Any]) -> dict[str, Any]:
        if self.revocations is not None and self.revocations.is_revoked(claims.get("sid")):
            raise InvalidToken("session revoked")
        return claims

    async def _check(self, token: str) -> tuple[dict[str, Any], str, jwt.PyJWK]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no key id")
        key = await self.keys.key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        # PyJWT accepts an ``aud`` list that merely contains ours: a token meant for several
        # APIs would open each of them. Only a token for this API alone is accepted.
        if claims.get("aud") != self.audience:
            raise InvalidToken("the token is not for this API alone")
        return claims, kid, key

    async def principal(self, token: str) -> Principal:
        claims = await self.verify(token)
        try:
            kind = claims["kind"]
            if kind not in ("member", "agent"):
                raise ValueError(kind)
            role = claims.get("role") if kind == "agent" else None
            if kind == "agent" and role not in ("agent", "supervisor", "admin"):
                raise ValueError(role)
            return Principal(
                subject=uuid.UUID(claims["sub"]),
                kind=kind,
                fund=str(claims["fund"]),
                role=role,
                skills=tuple(claims.get("skills") or ()),
                session_id=claims.get("sid"),
                given_name=claims.get("given_name"),
                claims=claims,
            )
        except (KeyError, ValueError, TypeError) as error:
            raise InvalidToken(f"malformed claims: {error}") from error


SESSION_EXPIRED = "Votre session a expiré ou n'est pas valide : reconnectez-vous."


def unauthenticated(detail: str = SESSION_EXPIRED) -> Problem:
    """401 with the challenge RFC 6750 asks for."""
    return Problem(
        401,
        "unauthenticated",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="mes-messages"'},
    )


def csrf_refused() -> Problem:
    return Problem(
        403, "csrf", "La demande n'a pas pu être vérifiée : rechargez la page et réessayez."
    )


def same_origin(request: Request, public_base_url: str) -> bool:
    """False when the browser says the request comes from another site than ours."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    expected = urlsplit(public_base_url)
    actual = urlsplit(origin)
    return (actual.scheme, actual.netloc) == (expected.scheme, expected.netloc)


def token_from_request(request: Request, route_app: App | None = None) -> tuple[str, bool] | None:
    """The access token a request carries for this service, and whether it came from a
    cookie (a browser): the bearer token, or the web app's cookie for this API.

    The web app is the one the request names; a request that names none (a plain link: a
    download, a CSV) reads the cookie of ``route_app``, the app whose people the route
    serves (members the portal, agents the back office), then, for a route of both, the
    portal's and the back office's in turn."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip(), False
    settings = request.app.state.settings
    apps = requested_apps(request)
    if route_app is not None and apps == APPS:
        apps = (route_app,)
    for app in apps:
        name = access_cookie(app, settings.service_name, secure=settings.secure_cookies)
        if cookie := request.cookies.get(name):
            return cookie, True
    return None


async def authenticated(request: Request) -> Principal:
    """The caller, from a bearer token or the access cookie; 401 when there is none."""
    return await _authenticated(request, None)


async def _authenticated(request: Request, route_app: App | None) -> Principal:
    verifier: TokenVerifier = request.app.state.verifier
    found = token_from_request(request, route_app)
    if found is None:
        raise unauthenticated("Vous devez être connecté pour accéder à ce service.")
    token, from_cookie = found
    try:
        principal = await verifier.principal(token)
    except InvalidToken as error:
        logger.info("token refused", reason=str(error))
        raise unauthenticated() from None
    if from_cookie and request.method not in SAFE_METHODS:
        check_csrf(request, principal)
    return principal


async def optional_principal(request: Request) -> Principal | None:
    """The caller when a token comes with the request; ``None`` for an anonymous visitor.

    A bearer token that does not verify is refused (401): the tool that sent it must know.
    An access cookie that no longer verifies (expired) counts as no token: public pages must
    keep working for a member whose session ended."""
    verifier: TokenVerifier = request.app.state.verifier
    found = token_from_request(request)
    if found is None:
        return None
    token, from_cookie = found
    try:
        return await verifier.principal(token)
    except InvalidToken as error:
        if not from_cookie:
            logger.info("token refused", reason=str(error))
            raise unauthenticated() from None
        logger.info("expired or invalid access cookie ignored", reason=str(error))
        return None


def check_csrf(request: Request, principal: Principal) -> None:
    """A state change authenticated by the cookie must carry the CSRF header matching the
    token's hash, and come from our own site when the browser says where it comes from."""
    public_base_url: str = request.app.state.settings.public_base_url
    sent = request.headers.get(CSRF_HEADER, "")
    expected = principal.claims.get("csrf")
    if (
        not isinstance(expected, str)
        or not sent
        or not hmac.compare_digest(csrf_hash(sent), expected)
    ):
        raise csrf_refused()
    if not same_origin(request, public_base_url):
        raise Problem(403, "origin", "Cette demande ne provient pas du site attendu.")


async def _member_authenticated(request: Request) -> Principal:
    return await _authenticated(request, "portal")


async def _agent_authenticated(request: Request) -> Principal:
    return await _authenticated(request, "backoffice")


async def member(principal: Annotated[Principal, Depends(_member_authenticated)]) -> Principal:
    if not principal.is_member:
        raise Problem(403, "members-only", "Cette fonction est réservée aux adhérents.")
    return principal


async def agent(principal: Annotated[Principal, Depends(_agent_authenticated)]) -> Principal:
    if not principal.is_agent:
        raise Problem(403, "agents-only", "Cette fonction est réservée aux conseillers.")
    return principal


def agent_with_role(*roles: AgentRole) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting agents whose role is one of ``roles``."""

    async def dependency(principal: Annotated[Principal, Depends(agent)]) -> Principal:
        if principal.role not in roles:
            raise Problem(403, "role", "Votre profil ne permet pas cette action.")
        return principal

    return dependency


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentMember = Annotated[Principal, Depends(member)]
CurrentAgent = Annotated[Principal, Depends(agent)]
CurrentSupervisor = Annotated[Principal, Depends(agent_with_role("supervisor", "admin"))]
CurrentAdmin = Annotated[Principal, Depends(agent_with_role("admin"))]
