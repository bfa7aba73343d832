"""Signing keys and access tokens.

Keys live in the database so every replica signs with the same one. Their life:
``next`` (published in the JWKS, not signing) → ``active`` (signs) → ``retired`` (published
until every token it signed has expired) → deleted. ``rotate`` promotes the published
``next`` key only once it has been in the JWKS for ``key_publish_lead_seconds``, so every
verifier knows a key before it sees a token signed by it, and no one is logged out.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from auth.adapters.keys import generate_key, load_private_key, sign
from auth.config import Settings
from auth.domain.model import Agent, KeyStatus, Member, SigningKey
from auth.service_layer.unit_of_work import AuthUnitOfWork
from servicekit.clock import Clock
from servicekit.logging import get_logger
from servicekit.security import InvalidToken, audience_of, csrf_hash

logger = get_logger(__name__)

#: The APIs a session opens, members and agents alike: one access token for each.
AUDIENCES = ("auth", "catalog", "messages", "notifier")


@dataclass(frozen=True)
class RotationReport:
    activated: str | None
    retired: str | None
    published: str | None
    deleted: list[str]
    waiting_until: str | None = None

    def lines(self) -> list[str]:
        lines = []
        if self.activated:
            lines.append(f"key {self.activated} now signs new tokens")
        if self.retired:
            lines.append(f"key {self.retired} retired (still published until its tokens expire)")
        if self.published:
            lines.append(f"key {self.published} published; it may sign from the next rotation")
        lines += [f"key {kid} deleted" for kid in self.deleted]
        if self.waiting_until:
            lines.append(
                f"the next key is not published long enough: run again after {self.waiting_until}"
                " (or with --force)"
            )
        return lines


class KeyRing:
    """The keys as this replica knows them, reloaded from the database now and then."""

    def __init__(
        self, settings: Settings, clock: Clock, unit_of_work: Callable[[], AuthUnitOfWork]
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._unit_of_work = unit_of_work
        self._passphrase = settings.signing_key_passphrase.get_secret_value().encode()
        self._keys: dict[str, SigningKey] = {}
        self._private: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._public: dict[str, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def retired_for(self) -> timedelta:
        """How long a retired key stays published: a token it signed, from a replica that had
        not reloaded yet, lives that long at most (plus the verifiers' leeway)."""
        settings = self._settings
        return timedelta(seconds=settings.access_token_seconds + settings.key_reload_seconds + 60)

    async def ensure(self) -> None:
        """At start-up: an active key to sign with, and a next one already published."""
        async with self._unit_of_work() as uow:
            await uow.keys.lock_table()
            keys = await uow.keys.all()
            now = self._clock.now()
            if not any(key.status is KeyStatus.ACTIVE for key in keys):
                await uow.keys.add(
                    generate_key(now=now, passphrase=self._passphrase, status=KeyStatus.ACTIVE)
                )
                logger.info("signing key created")
            if not any(key.status is KeyStatus.NEXT for key in keys):
                await uow.keys.add(
                    generate_key(now=now, passphrase=self._passphrase, status=KeyStatus.NEXT)
                )
            await uow.commit()
        await self.reload()

    async def reload(self) -> None:
        async with self._unit_of_work() as uow:
            keys = await uow.keys.all()
        self._keys = {key.kid: key for key in keys}
        self._public = {key.kid: jwt.PyJWK.from_dict(key.public_jwk) for key in keys}
        self._loaded_at = time.monotonic()

    async def _fresh(self, *, force: bool = False) -> None:
        age = time.monotonic() - self._loaded_at
        if force or age > self._settings.key_reload_seconds:
            async with self._lock:
                if force or time.monotonic() - self._loaded_at > self._settings.key_reload_seconds:
                    await self.reload()

    async def signing_key(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        await self._fresh()
        active = [key for key in self._keys.values() if key.status is KeyStatus.ACTIVE]
        if not active:
            await self.ensure()
            active = [key for key in self._keys.values() if key.status is KeyStatus.ACTIVE]
        key = active[0]
        if key.kid not in self._private:
            self._private[key.kid] = await asyncio.to_thread(
                load_private_key, key, self._passphrase
            )
        return key.kid, self._private[key.kid]

    async def key_for(self, kid: str) -> jwt.PyJWK:
        """The ``KeySet`` the service's own token verifier uses."""
        if kid not in self._public and time.monotonic() - self._loaded_at > 1.0:
            await self._fresh(force=True)
        try:
            return self._public[kid]
        except KeyError:
            raise InvalidToken(f"unknown key {kid!r}") from None

    async def jwks(self) -> dict[str, Any]:
        await self._fresh()
        now = self._clock.now()
        return {
            "keys": [
                key.public_jwk
                for key in self._keys.values()
                if key.published(now, retired_for=self.retired_for)
            ]
        }

    async def rotate(self, *, force: bool = False) -> RotationReport:
        async with self._unit_of_work() as uow:
            await uow.keys.lock_table()
            keys = await uow.keys.all(for_update=True)
            now = self._clock.now()
            lead = timedelta(seconds=self._settings.key_publish_lead_seconds)
            upcoming = [key for key in keys if key.status is KeyStatus.NEXT]
            active = [key for key in keys if key.status is KeyStatus.ACTIVE]
            deleted = [
                key.kid
                for key in keys
                if key.status is KeyStatus.RETIRED
                and not key.published(now, retired_for=self.retired_for)
            ]
            for kid in deleted:
                await uow.keys.delete(kid)
            if not upcoming:
                published = generate_key(
                    now=now, passphrase=self._passphrase, status=KeyStatus.NEXT
                )
                await uow.keys.add(published)
                await uow.commit()
                return RotationReport(None, None, published.kid, deleted)
            candidate = upcoming[-1]
            if candidate.created_at + lead > now and not force:
                await uow.commit()
                return RotationReport(
                    None,
                    None,
                    None,
                    deleted,
                    waiting_until=(candidate.created_at + lead).isoformat(),
                )
            for old in active:
                await uow.keys.set_status(old.kid, KeyStatus.RETIRED, now)
            await uow.keys.set_status(candidate.kid, KeyStatus.ACTIVE, now)
            published = generate_key(now=now, passphrase=self._passphrase, status=KeyStatus.NEXT)
            await uow.keys.add(published)
            await uow.commit()
        await self.reload()
        return RotationReport(
            candidate.kid, active[0].kid if active else None, published.kid, deleted
        )


class TokenIssuer:
    def __init__(self, settings: Settings, keyring: KeyRing, clock: Clock) -> None:
        self._settings = settings
        self._keyring = keyring
        self._clock = clock

    async def access_tokens(
        self, *, subject: Member | Agent, session_id: uuid.UUID, csrf: str | None
    ) -> dict[str, str]:
        """The session's access tokens, one per API (``AUDIENCES``): each names its API alone
        as audience, so that a token one API sees opens no other."""
        now = self._clock.now()
        return {
            api: await self.access_token(
                subject=subject, session_id=session_id, csrf=csrf, audience=api, now=now
            )
            for api in AUDIENCES
        }

    async def access_token(
        self,
        *,
        subject: Member | Agent,
        session_id: uuid.UUID,
        csrf: str | None,
        audience: str,
        now: datetime | None = None,
    ) -> str:
        """A signed access token for ``subject`` in session ``session_id``, for one API.

        ``csrf`` is the CSRF hash of the session (see ``servicekit.security.csrf_hash``)."""
        now = now or self._clock.now()
        claims: dict[str, Any] = {
            "iss": self._settings.auth_issuer,
            "aud": audience_of(audience),
            "sub": str(subject.id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + self._settings.access_token_lifetime).timestamp()),
            "jti": uuid.uuid4().hex,
            "sid": str(session_id),
            "fund": subject.fund,
            "given_name": subject.given_name,
            "family_name": subject.family_name,
        }
        if isinstance(subject, Agent):
            claims |= {"kind": "agent", "role": subject.role, "skills": list(subject.skills)}
        else:
            claims |= {"kind": "member"}
        if csrf is not None:
            claims["csrf"] = csrf
        kid, private = await self._keyring.signing_key()
        return sign(claims, kid=kid, private=private)


__all__ = ["AUDIENCES", "KeyRing", "RotationReport", "TokenIssuer", "csrf_hash"]
