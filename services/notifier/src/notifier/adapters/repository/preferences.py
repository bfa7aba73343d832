"""What each member chose to receive."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.orm import PREFERENCES
from notifier.domain.preferences import DEFAULT_PREFERENCES, ChangedThrough, Preferences


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: uuid.UUID) -> Preferences:
        thread_emails = await self.session.scalar(
            select(PREFERENCES.c.thread_emails).where(PREFERENCES.c.member_id == member_id)
        )
        return DEFAULT_PREFERENCES if thread_emails is None else Preferences(thread_emails)

    async def save(
        self, member_id: uuid.UUID, preferences: Preferences, *, through: ChangedThrough
    ) -> Preferences:
        values = {
            "member_id": member_id,
            "thread_emails": preferences.thread_emails,
            "changed_through": through.value,
        }
        statement = insert(PREFERENCES).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[PREFERENCES.c.member_id],
                set_={
                    "thread_emails": statement.excluded.thread_emails,
                    "changed_through": statement.excluded.changed_through,
                    "changed_at": func.now(),
                },
            )
        )
        return preferences

    async def remove(self, member_id: uuid.UUID) -> None:
        await self.session.execute(delete(PREFERENCES).where(PREFERENCES.c.member_id == member_id))
