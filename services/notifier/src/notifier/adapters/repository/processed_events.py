"""The ids of the events the notifier's consumers handled (servicekit's table)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.consumer import PROCESSED_EVENTS


class ProcessedEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delete_older_than(self, older_than: timedelta, *, limit: int) -> int:
        """Forget up to ``limit`` ids of events handled longer than ``older_than`` ago (by any
        of the notifier's consumers). ``processed_events`` is servicekit's table; this is the
        one place the notifier deletes from it."""
        expired = (
            select(PROCESSED_EVENTS.c.consumer, PROCESSED_EVENTS.c.event_id)
            .where(PROCESSED_EVENTS.c.processed_at < func.now() - older_than)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            delete(PROCESSED_EVENTS)
            .where(tuple_(PROCESSED_EVENTS.c.consumer, PROCESSED_EVENTS.c.event_id).in_(expired))
            .returning(PROCESSED_EVENTS.c.event_id)
        )
        return len(result.all())
