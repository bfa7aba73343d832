"""What follows a reply: the members' satisfaction answers, the first agent who answered a
thread, the threads whose « Demande de précisions » timers are due. No commit here."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import MESSAGES, REPLY_SATISFACTION, THREADS
from messages.adapters.queue import THREAD_COLUMNS
from messages.adapters.threads import thread_from_row
from messages.domain.follow_ups import DETAILS_CLOSING_DAYS, DETAILS_REMINDER_DAYS, Satisfaction
from messages.domain.model import Status, Thread


class FollowUpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def satisfaction(
        self, reply_id: uuid.UUID, *, for_update: bool = False
    ) -> Satisfaction | None:
        statement = select(REPLY_SATISFACTION).where(REPLY_SATISFACTION.c.reply_id == reply_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        return Satisfaction(**row._mapping) if row is not None else None

    async def satisfactions_of(self, thread_id: uuid.UUID) -> dict[uuid.UUID, Satisfaction]:
        rows = await self.session.execute(
            select(REPLY_SATISFACTION).where(REPLY_SATISFACTION.c.thread_id == thread_id)
        )
        return {row.reply_id: Satisfaction(**row._mapping) for row in rows}

    async def add_satisfaction(self, answer: Satisfaction) -> bool:
        """Store a first answer; False if the reply already has one (a concurrent first
        answer: the unique key decides)."""
        inserted = (
            insert(REPLY_SATISFACTION)
            .values(
                reply_id=answer.reply_id,
                thread_id=answer.thread_id,
                helpful=answer.helpful,
                comment=answer.comment,
                first_answered_at=answer.first_answered_at,
                answered_at=answer.answered_at,
            )
            .on_conflict_do_nothing(index_elements=[REPLY_SATISFACTION.c.reply_id])
            .returning(REPLY_SATISFACTION.c.reply_id)
        )
        return (await self.session.execute(inserted)).first() is not None

    async def save_satisfaction(self, answer: Satisfaction) -> None:
        await self.session.execute(
            update(REPLY_SATISFACTION)
            .where(REPLY_SATISFACTION.c.reply_id == answer.reply_id)
            .values(helpful=answer.helpful, comment=answer.comment, answered_at=answer.answered_at)
        )

    async def first_reply_author(self, thread_id: uuid.UUID) -> tuple[uuid.UUID, str] | None:
        """The agent who answered the thread first (id and name), if any."""
        row = (
            await self.session.execute(
                select(MESSAGES.c.author_id, MESSAGES.c.author_name)
                .where(MESSAGES.c.thread_id == thread_id, MESSAGES.c.author_kind == "agent")
                .order_by(MESSAGES.c.created_at, MESSAGES.c.id)
                .limit(1)
            )
        ).first()
        return (row.author_id, row.author_name) if row is not None else None

    async def mark_not_understood(self, reply_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(MESSAGES).where(MESSAGES.c.id == reply_id).values(not_understood_at=now)
        )

    async def due_for_timers(self, now: datetime, limit: int) -> list[Thread]:
        """Threads awaiting the member whose reminder or closing is due, locked for this
        transaction; those another worker holds are skipped (``SKIP LOCKED``)."""
        reminder_before = now - timedelta(days=DETAILS_REMINDER_DAYS)
        closing_before = now - timedelta(days=DETAILS_CLOSING_DAYS)
        statement = (
            select(*THREAD_COLUMNS)
            .where(
                THREADS.c.status == Status.AWAITING_MEMBER.value,
                THREADS.c.awaiting_member_since <= reminder_before,
                or_(
                    THREADS.c.details_reminded_at.is_(None),
                    THREADS.c.awaiting_member_since <= closing_before,
                ),
            )
            .order_by(THREADS.c.awaiting_member_since)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [thread_from_row(row._mapping) for row in await self.session.execute(statement)]
