"""FranceConnect: pending requests, links between identities and members, pending logins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import FRANCECONNECT_LINKS, FRANCECONNECT_PENDING, FRANCECONNECT_REQUESTS


class FranceConnectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_request(
        self, *, state: str, nonce: str, binding_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._session.execute(
            FRANCECONNECT_REQUESTS.insert().values(
                state=state,
                nonce=nonce,
                binding_hash=binding_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def take_request(self, state: str, now: datetime) -> tuple[str, str] | None:
        """Use a login request once: its ``(nonce, binding_hash)`` if unused and in time."""
        row = (
            await self._session.execute(
                update(FRANCECONNECT_REQUESTS)
                .where(
                    FRANCECONNECT_REQUESTS.c.state == state,
                    FRANCECONNECT_REQUESTS.c.used_at.is_(None),
                    FRANCECONNECT_REQUESTS.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(FRANCECONNECT_REQUESTS.c.nonce, FRANCECONNECT_REQUESTS.c.binding_hash)
            )
        ).first()
        return (row.nonce, row.binding_hash) if row else None

    async def prune(self, now: datetime) -> None:
        await self._session.execute(
            delete(FRANCECONNECT_REQUESTS).where(FRANCECONNECT_REQUESTS.c.expires_at < now)
        )
        await self._session.execute(
            delete(FRANCECONNECT_PENDING).where(FRANCECONNECT_PENDING.c.expires_at < now)
        )

    async def member_of(self, subject: str) -> uuid.UUID | None:
        return await self._session.scalar(
            select(FRANCECONNECT_LINKS.c.member_id).where(FRANCECONNECT_LINKS.c.subject == subject)
        )

    async def is_linked(self, member_id: uuid.UUID) -> bool:
        found = await self._session.scalar(
            select(FRANCECONNECT_LINKS.c.subject).where(
                FRANCECONNECT_LINKS.c.member_id == member_id
            )
        )
        return found is not None

    async def link(self, *, subject: str, member_id: uuid.UUID, now: datetime, how: str) -> bool:
        """Link ``subject`` to the member; False when the subject or the member has a link
        already (another request linked them a moment ago: read ``member_of`` again)."""
        linked = await self._session.scalar(
            insert(FRANCECONNECT_LINKS)
            .values(subject=subject, member_id=member_id, linked_at=now, how=how)
            .on_conflict_do_nothing()
            .returning(FRANCECONNECT_LINKS.c.subject)
        )
        return linked is not None

    async def unlink(self, member_id: uuid.UUID) -> bool:
        """Remove the member's link; False when there was none."""
        removed = await self._session.scalar(
            delete(FRANCECONNECT_LINKS)
            .where(FRANCECONNECT_LINKS.c.member_id == member_id)
            .returning(FRANCECONNECT_LINKS.c.subject)
        )
        return removed is not None

    async def add_pending(
        self,
        *,
        token_hash: str,
        subject: str,
        id_token: str,
        identity: dict[str, Any],
        expires_at: datetime,
    ) -> None:
        await self._session.execute(
            FRANCECONNECT_PENDING.insert().values(
                token_hash=token_hash,
                subject=subject,
                id_token=id_token,
                identity=identity,
                expires_at=expires_at,
            )
        )

    async def pending(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """``(subject, id_token)`` of a FranceConnect login waiting to be linked."""
        row = (
            await self._session.execute(
                select(FRANCECONNECT_PENDING.c.subject, FRANCECONNECT_PENDING.c.id_token).where(
                    FRANCECONNECT_PENDING.c.token_hash == token_hash,
                    FRANCECONNECT_PENDING.c.expires_at > now,
                )
            )
        ).first()
        return (row.subject, row.id_token) if row else None
