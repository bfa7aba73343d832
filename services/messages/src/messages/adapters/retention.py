"""Retention: threads closed long ago, and removing them with what they hold.
No commit here: the unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Boolean, delete, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import ACCESS_AUDIT, MESSAGES, NOTES, THREADS

_CLOSED = literal_column("status = 'closed'", type_=Boolean)


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def closed_threads_before(self, cutoff: datetime, limit: int) -> list[uuid.UUID]:
        rows = await self.session.execute(
            select(THREADS.c.id)
            .where(_CLOSED, THREADS.c.closed_at < cutoff)
            .order_by(THREADS.c.closed_at)
            .limit(limit)
        )
        return [row.id for row in rows]

    async def count_dependents(self, thread_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        counts = {}
        for name, table in (("messages", MESSAGES), ("notes", NOTES), ("audit", ACCESS_AUDIT)):
            counts[name] = int(
                await self.session.scalar(
                    select(func.count()).select_from(table).where(table.c.thread_id.in_(thread_ids))
                )
                or 0
            )
        return counts

    async def count_closed_before(self, cutoff: datetime) -> dict[str, int]:
        closed = select(THREADS.c.id).where(_CLOSED, THREADS.c.closed_at < cutoff).scalar_subquery()
        counts = {
            "threads": int(
                await self.session.scalar(
                    select(func.count()).where(_CLOSED, THREADS.c.closed_at < cutoff)
                )
                or 0
            )
        }
        for name, table in (("messages", MESSAGES), ("notes", NOTES), ("audit", ACCESS_AUDIT)):
            counts[name] = int(
                await self.session.scalar(
                    select(func.count()).select_from(table).where(table.c.thread_id.in_(closed))
                )
                or 0
            )
        return counts

    async def delete_threads(self, thread_ids: Sequence[uuid.UUID]) -> None:
        """Messages, notes and audit rows go with them (ON DELETE CASCADE)."""
        await self.session.execute(delete(THREADS).where(THREADS.c.id.in_(thread_ids)))
