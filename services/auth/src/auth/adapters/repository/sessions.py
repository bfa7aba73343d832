"""Sessions and their families of refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import REFRESH_TOKENS, SESSIONS
from auth.domain.model import RefreshToken, Session


def _session_of(row: Row[Any]) -> Session:
    return Session(
        id=row.id,
        kind=row.kind,
        subject_id=row.subject_id,
        csrf_hash=row.csrf_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        method=row.method,
        franceconnect_id_token=row.franceconnect_id_token,
        revoked_at=row.revoked_at,
    )


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, session: Session) -> None:
        await self._session.execute(
            SESSIONS.insert().values(
                id=session.id,
                kind=session.kind,
                subject_id=session.subject_id,
                csrf_hash=session.csrf_hash,
                method=session.method,
                franceconnect_id_token=session.franceconnect_id_token,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )

    async def get(self, session_id: uuid.UUID, *, for_update: bool = False) -> Session | None:
        query = select(SESSIONS).where(SESSIONS.c.id == session_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return None if row is None else _session_of(row)

    async def revoke(self, session_id: uuid.UUID, now: datetime) -> list[Session]:
        """End the session (unless it already ended); the sessions it ended."""
        return await self._revoked(
            update(SESSIONS)
            .where(SESSIONS.c.id == session_id, SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all(
        self, subject_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
    ) -> list[Session]:
        """End every open session of the subject (but ``keep``); the sessions it ended."""
        query = update(SESSIONS).where(
            SESSIONS.c.subject_id == subject_id, SESSIONS.c.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(SESSIONS.c.id != keep)
        return await self._revoked(query.values(revoked_at=now))

    async def _revoked(self, query: Update) -> list[Session]:
        rows = (await self._session.execute(query.returning(*SESSIONS.c))).all()
        return [_session_of(row) for row in rows]

    async def revocations_to_release(self, expired_before: datetime, *, limit: int) -> list[str]:
        """Revoked sessions whose tokens have all expired and whose revocation is still on
        the revocations topic: their tombstones are due."""
        rows = await self._session.execute(
            select(SESSIONS.c.id)
            .where(
                SESSIONS.c.revoked_at.is_not(None),
                SESSIONS.c.revocation_released_at.is_(None),
                SESSIONS.c.revoked_at < expired_before,
            )
            .order_by(SESSIONS.c.revoked_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [str(row.id) for row in rows]

    async def mark_revocations_released(self, session_ids: list[str], now: datetime) -> None:
        await self._session.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id.in_([uuid.UUID(value) for value in session_ids]))
            .values(revocation_released_at=now)
        )

    async def add_refresh_token(self, token: RefreshToken, now: datetime) -> None:
        await self._session.execute(
            REFRESH_TOKENS.insert().values(
                id=token.id,
                session_id=token.session_id,
                token_hash=token.token_hash,
                created_at=now,
                expires_at=token.expires_at,
            )
        )

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = (
            await self._session.execute(
                select(REFRESH_TOKENS)
                .where(REFRESH_TOKENS.c.token_hash == token_hash)
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        return RefreshToken(
            id=row.id,
            session_id=row.session_id,
            token_hash=row.token_hash,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    async def used_after(self, session_id: uuid.UUID, moment: datetime) -> bool:
        """Whether a refresh token of the session was used after ``moment`` (tokens replace
        one another: after a token's use, only its successor can be)."""
        found = await self._session.scalar(
            select(REFRESH_TOKENS.c.id)
            .where(REFRESH_TOKENS.c.session_id == session_id, REFRESH_TOKENS.c.used_at > moment)
            .limit(1)
        )
        return found is not None

    async def mark_used(self, token_id: uuid.UUID, now: datetime) -> None:
        await self._session.execute(
            update(REFRESH_TOKENS).where(REFRESH_TOKENS.c.id == token_id).values(used_at=now)
        )
