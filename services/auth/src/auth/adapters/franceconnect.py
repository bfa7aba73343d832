"""The FranceConnect v2 client: OpenID Connect authorization code flow, checked to the letter.

Discovery and the provider's JWKS are fetched over HTTP and cached; a signature by a key
the cache does not know triggers one refetch (rate-limited), so the provider may rotate its
keys. ID tokens and userinfo answers must be ES256-signed by the provider, for our client,
in time; the ID token must carry our nonce, an accepted ``acr`` and the ``at_hash`` of the
access token it came with (required, like the ``iss`` of the authorization answer).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlencode

import httpx
import jwt

from auth.domain.errors import FranceConnectRefused
from servicekit.logging import get_logger

logger = get_logger(__name__)

ALGORITHM = "ES256"
INVALID = "franceconnect-invalide"
UNAVAILABLE = "franceconnect-indisponible"


def _refused(reason: str) -> FranceConnectRefused:
    return FranceConnectRefused(INVALID, reason)


_Client = TypeVar("_Client", bound="FranceConnectClient")
_Parameters = ParamSpec("_Parameters")
_Result = TypeVar("_Result")


def _provider_call(
    call: Callable[Concatenate[_Client, _Parameters], Coroutine[Any, Any, _Result]],
) -> Callable[Concatenate[_Client, _Parameters], Coroutine[Any, Any, _Result]]:
    """Whatever goes wrong talking to the provider that is not one of our refusals (a
    closed client, an answer that is not what the protocol says, a bug of the HTTP
    library) means FranceConnect is unavailable: the browser goes back to the login page
    with that message, never to an error page."""

    @functools.wraps(call)
    async def guarded(
        client: _Client, /, *args: _Parameters.args, **kwargs: _Parameters.kwargs
    ) -> _Result:
        try:
            return await call(client, *args, **kwargs)
        except FranceConnectRefused:
            raise
        except Exception as error:
            logger.exception("franceconnect call failed unexpectedly", call=call.__name__)
            raise FranceConnectRefused(UNAVAILABLE, f"{call.__name__}: {error!r}") from error

    return guarded


class FranceConnectClient:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        scopes: str,
        acr_values: str,
        accepted_acr: list[str],
        http: httpx.AsyncClient,
        leeway_seconds: int = 30,
        metadata_ttl: float = 3600.0,
        jwks_min_refresh: float = 10.0,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self.acr_values = acr_values
        self.accepted_acr = set(accepted_acr)
        self._http = http
        self._leeway = leeway_seconds
        self._metadata_ttl = metadata_ttl
        self._jwks_min_refresh = jwks_min_refresh
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = float("-inf")
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.get(url, **kwargs)
        except httpx.HTTPError as error:
            raise FranceConnectRefused(UNAVAILABLE, f"GET {url}: {error!r}") from error
        if response.status_code >= 500:
            raise FranceConnectRefused(UNAVAILABLE, f"GET {url}: {response.status_code}")
        return response

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._metadata_at > self._metadata_ttl:
            async with self._lock:
                if (
                    self._metadata is None
                    or time.monotonic() - self._metadata_at > self._metadata_ttl
                ):
                    response = await self._get(f"{self.issuer}/.well-known/openid-configuration")
                    if response.status_code != 200:
                        raise FranceConnectRefused(
                            UNAVAILABLE, f"discovery: {response.status_code}"
                        )
                    document = response.json()
                    if document.get("issuer") != self.issuer:
                        raise _refused(f"discovery names issuer {document.get('issuer')!r}")
                    self._metadata = document
                    self._metadata_at = time.monotonic()
        return self._metadata

    async def _key(self, kid: str) -> jwt.PyJWK:
        stale = time.monotonic() - self._keys_at > self._metadata_ttl
        if kid not in self._keys or stale:
            async with self._lock:
                may_refresh = time.monotonic() - self._keys_at > self._jwks_min_refresh
                if (kid not in self._keys and may_refresh) or stale:
                    await self._refresh_keys()
        try:
            return self._keys[kid]
        except KeyError:
            raise _refused(f"unknown signing key {kid!r}") from None

    async def _refresh_keys(self) -> None:
        metadata = self._metadata or {}
        uri = metadata.get("jwks_uri")
        if not uri:
            raise FranceConnectRefused(UNAVAILABLE, "no jwks_uri in discovery")
        response = await self._get(uri)
        if response.status_code != 200:
            raise FranceConnectRefused(UNAVAILABLE, f"jwks: {response.status_code}")
        keys = jwt.PyJWKSet.from_dict(response.json()).keys
        self._keys = {key.key_id: key for key in keys if key.key_id}
        self._keys_at = time.monotonic()

    @_provider_call
    async def authorization_url(self, *, state: str, nonce: str) -> str:
        metadata = await self.metadata()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scopes,
                "state": state,
                "nonce": nonce,
                "acr_values": self.acr_values,
            }
        )
        return f"{metadata['authorization_endpoint']}?{query}"

    @_provider_call
    async def end_session_url(self, *, id_token: str, post_logout_uri: str, state: str) -> str:
        metadata = await self.metadata()
        query = urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_uri, "state": state}
        )
        return f"{metadata['end_session_endpoint']}?{query}"

    @_provider_call
    async def exchange_code(self, code: str) -> tuple[str, str]:
        """The ``(id_token, access_token)`` the token endpoint gives for ``code``."""
        metadata = await self.metadata()
        try:
            response = await self._http.post(
                metadata["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "client_id": self.client_id,
                    "client_secret": self._client_secret,
                },
            )
        except httpx.HTTPError as error:
            raise FranceConnectRefused(UNAVAILABLE, f"token endpoint: {error!r}") from error
        if response.status_code >= 500:
            raise FranceConnectRefused(UNAVAILABLE, f"token endpoint: {response.status_code}")
        if response.status_code != 200:
            raise _refused(f"token endpoint refused the code: {response.text[:200]}")
        body = response.json()
        id_token, access_token = body.get("id_token"), body.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise _refused("token response without id_token or access_token")
        return id_token, access_token

    async def _decode(self, token: str, *, now: datetime, what: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise _refused(f"{what}: unreadable ({error})") from error
        if header.get("alg") != ALGORITHM:
            raise _refused(f"{what}: algorithm {header.get('alg')!r} is not ES256")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise _refused(f"{what}: no kid")
        key = await self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=self.client_id,
                issuer=self.issuer,
                # Time is checked below against our clock.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as error:
            raise _refused(f"{what}: {error}") from error
        instant = now.timestamp()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp + self._leeway <= instant:
            raise _refused(f"{what}: expired")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or iat - self._leeway > instant:
            raise _refused(f"{what}: issued in the future")
        return claims

    @_provider_call
    async def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str, now: datetime
    ) -> dict[str, Any]:
        claims = await self._decode(id_token, now=now, what="ID token")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"], nonce
        ):
            raise _refused("ID token: nonce does not match this login")
        if claims.get("acr") not in self.accepted_acr:
            raise _refused(f"ID token: acr {claims.get('acr')!r} is not accepted")
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise _refused("ID token: several audiences and azp is not us")
        # Required: without it, an access token swapped on the way would go unnoticed.
        if not isinstance(claims.get("at_hash"), str):
            raise _refused("ID token: no at_hash")
        digest = hashlib.sha256(access_token.encode()).digest()
        expected = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
        if not hmac.compare_digest(claims["at_hash"], expected):
            raise _refused("ID token: at_hash does not match the access token")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise _refused("ID token: no sub")
        return claims

    @_provider_call
    async def userinfo(self, access_token: str, *, subject: str, now: datetime) -> dict[str, Any]:
        metadata = await self.metadata()
        response = await self._get(
            metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.status_code != 200:
            raise _refused(f"userinfo: {response.status_code}")
        if not response.headers.get("content-type", "").startswith("application/jwt"):
            raise _refused("userinfo is not a signed JWT")
        claims = await self._decode(response.text.strip(), now=now, what="userinfo")
        if claims.get("sub") != subject:
            raise _refused("userinfo: sub differs from the ID token's")
        return claims
