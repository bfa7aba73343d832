"""The dashboard projection's tables and their repository. No commit here.

The projection is written only from events and read only by the dashboard; it never reads
the threads' own tables. Every row carries a ``generation``: the live one is named in
``dashboard_state``, and a rebuild fills the other one before making it live (so the
dashboard stays readable, and the live consumers keep going, while it is rebuilt).

Every effect can be applied twice and in any order with the same result (first answer =
the earliest, satisfaction = the latest answer, a « relance », a closing or a reopening by
its event id): a rebuild may apply again events that the live consumers also apply."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    Uuid,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from messages.adapters.orm import metadata
from messages.domain.dashboard import (
    AnswerCount,
    Closing,
    ThemeRef,
    ThreadFacts,
    WaitingCount,
    WeekCount,
)
from servicekit.db import UnitOfWork, Writes

DASHBOARD_STATE = Table(
    "dashboard_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("live_generation", SmallInteger, nullable=False),
    Column("last_event_at", DateTime(timezone=True)),
    Column("rebuilt_at", DateTime(timezone=True)),
    CheckConstraint("id = 1", name="dashboard_state_single_row"),
    CheckConstraint("live_generation IN (1, 2)", name="dashboard_state_generation"),
)

DASHBOARD_THREADS = Table(
    "dashboard_threads",
    metadata,
    Column("generation", SmallInteger, primary_key=True),
    Column("thread_id", Uuid, primary_key=True),
    Column("fund", Text, nullable=False),
    Column("theme_code", Text),
    Column("theme_label", Text),
    Column("submitted_at", DateTime(timezone=True)),
    Column("due_date", Date),
    Column("first_reply_at", DateTime(timezone=True)),
    Column("first_answer_working_days", Integer),
    Column("answered_on_time", Boolean),
    Index("dashboard_threads_submitted_idx", "generation", "fund", "submitted_at"),
    Index("dashboard_threads_answered_idx", "generation", "fund", "first_reply_at"),
)

DASHBOARD_RELANCES = Table(
    "dashboard_relances",
    metadata,
    Column("generation", SmallInteger, primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("thread_id", Uuid, nullable=False),
    Column("fund", Text, nullable=False),
    Column("theme_code", Text, nullable=False),
    Column("theme_label", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("dashboard_relances_idx", "generation", "fund", "occurred_at"),
)

DASHBOARD_SATISFACTION = Table(
    "dashboard_satisfaction",
    metadata,
    Column("generation", SmallInteger, primary_key=True),
    Column("reply_id", Uuid, primary_key=True),
    Column("thread_id", Uuid, nullable=False),
    Column("fund", Text, nullable=False),
    Column("theme_code", Text, nullable=False),
    Column("theme_label", Text, nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    Index("dashboard_satisfaction_idx", "generation", "fund", "answered_at"),
)

#: Each closing (``closed``) or reopening of a thread, by event id: whether a thread was
#: closed at a moment is its latest row before that moment.
DASHBOARD_CLOSINGS = Table(
    "dashboard_closings",
    metadata,
    Column("generation", SmallInteger, primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("thread_id", Uuid, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("dashboard_closings_thread_idx", "generation", "thread_id", "changed_at"),
)

PROJECTION_TABLES = (
    DASHBOARD_THREADS,
    DASHBOARD_RELANCES,
    DASHBOARD_SATISFACTION,
    DASHBOARD_CLOSINGS,
)


def _paris_week(moment: ColumnElement[datetime]) -> ColumnElement[date]:
    """The Monday of the ISO week of ``moment`` in Europe/Paris."""
    local = func.timezone("Europe/Paris", moment)
    return func.date_trunc("week", local).cast(Date)


class DashboardRepository:
    def __init__(self, session: AsyncSession, writes: Writes | None = None) -> None:
        self.session = session
        self.writes = writes or Writes(session, deferred=False)
        #: The latest ``occurred_at`` of the events applied in this unit of work.
        self._seen: datetime | None = None

    # --- state -------------------------------------------------------------------------

    async def live_generation(self) -> int:
        generation = await self.session.scalar(
            select(DASHBOARD_STATE.c.live_generation).where(DASHBOARD_STATE.c.id == 1)
        )
        return int(generation) if generation is not None else 1

    async def state(self) -> tuple[datetime | None, datetime | None]:
        """When the latest event applied happened, and when the projection was last rebuilt."""
        row = (
            await self.session.execute(
                select(DASHBOARD_STATE.c.last_event_at, DASHBOARD_STATE.c.rebuilt_at)
            )
        ).first()
        return (row.last_event_at, row.rebuilt_at) if row is not None else (None, None)

    async def saw_event(self, occurred_at: datetime) -> None:
        """Note the event applied; the latest of a unit of work's is written with its commit
        (``write_seen``): one write of the state's row for a poll's events, not one each."""
        self._seen = occurred_at if self._seen is None else max(self._seen, occurred_at)

    async def write_seen(self) -> None:
        if self._seen is None:
            return
        seen, self._seen = self._seen, None
        await self.writes.add(
            update(DASHBOARD_STATE)
            .where(DASHBOARD_STATE.c.id == 1)
            .values(
                last_event_at=func.greatest(
                    func.coalesce(DASHBOARD_STATE.c.last_event_at, seen), seen
                )
            )
        )

    async def clear(self, generation: int) -> None:
        for table in PROJECTION_TABLES:
            await self.session.execute(delete(table).where(table.c.generation == generation))

    async def make_live(self, generation: int, *, rebuilt_at: datetime) -> None:
        await self.session.execute(
            update(DASHBOARD_STATE)
            .where(DASHBOARD_STATE.c.id == 1)
            .values(live_generation=generation, rebuilt_at=rebuilt_at)
        )

    # --- writes ------------------------------------------------------------------------

    async def thread(self, generation: int, thread_id: uuid.UUID, fund: str) -> ThreadFacts:
        """The thread's facts so far, its row locked until the unit of work ends: made if new,
        or found, locked and read by the same statement (an insert whose conflict "updates"
        the row locks it and returns it)."""
        new = insert(DASHBOARD_THREADS).values(
            generation=generation, thread_id=thread_id, fund=fund
        )
        row = (
            await self.session.execute(
                new.on_conflict_do_update(
                    index_elements=[DASHBOARD_THREADS.c.generation, DASHBOARD_THREADS.c.thread_id],
                    set_={"fund": DASHBOARD_THREADS.c.fund},
                ).returning(*DASHBOARD_THREADS.c)
            )
        ).one()
        theme = (
            ThemeRef(row.theme_code, row.theme_label or row.theme_code)
            if row.theme_code is not None
            else None
        )
        return ThreadFacts(
            thread_id=row.thread_id,
            fund=row.fund,
            theme=theme,
            submitted_at=row.submitted_at,
            due_date=row.due_date,
            first_reply_at=row.first_reply_at,
        )

    async def save_thread(self, generation: int, facts: ThreadFacts) -> None:
        await self.session.execute(
            update(DASHBOARD_THREADS)
            .where(
                DASHBOARD_THREADS.c.generation == generation,
                DASHBOARD_THREADS.c.thread_id == facts.thread_id,
            )
            .values(
                theme_code=facts.theme.code if facts.theme else None,
                theme_label=facts.theme.label if facts.theme else None,
                submitted_at=facts.submitted_at,
                due_date=facts.due_date,
                first_reply_at=facts.first_reply_at,
                first_answer_working_days=facts.first_answer_working_days,
                answered_on_time=facts.answered_on_time,
            )
        )

    async def add_relance(
        self,
        generation: int,
        *,
        event_id: uuid.UUID,
        thread_id: uuid.UUID,
        fund: str,
        theme: ThemeRef,
        occurred_at: datetime,
    ) -> None:
        await self.session.execute(
            insert(DASHBOARD_RELANCES)
            .values(
                generation=generation,
                event_id=event_id,
                thread_id=thread_id,
                fund=fund,
                theme_code=theme.code,
                theme_label=theme.label,
                occurred_at=occurred_at,
            )
            .on_conflict_do_nothing()
        )

    async def add_closing(self, generation: int, closing: Closing) -> None:
        await self.session.execute(
            insert(DASHBOARD_CLOSINGS)
            .values(
                generation=generation,
                event_id=closing.event_id,
                thread_id=closing.thread_id,
                closed=closing.closed,
                changed_at=closing.at,
            )
            .on_conflict_do_nothing()
        )

    async def record_satisfaction(
        self,
        generation: int,
        *,
        reply_id: uuid.UUID,
        thread_id: uuid.UUID,
        fund: str,
        theme: ThemeRef,
        helpful: bool,
        answered_at: datetime,
    ) -> None:
        """Keep the member's latest answer to this reply."""
        inserted = insert(DASHBOARD_SATISFACTION).values(
            generation=generation,
            reply_id=reply_id,
            thread_id=thread_id,
            fund=fund,
            theme_code=theme.code,
            theme_label=theme.label,
            helpful=helpful,
            answered_at=answered_at,
        )
        await self.session.execute(
            inserted.on_conflict_do_update(
                index_elements=[
                    DASHBOARD_SATISFACTION.c.generation,
                    DASHBOARD_SATISFACTION.c.reply_id,
                ],
                set_={
                    "helpful": inserted.excluded.helpful,
                    "answered_at": inserted.excluded.answered_at,
                },
                where=DASHBOARD_SATISFACTION.c.answered_at <= inserted.excluded.answered_at,
            )
        )

    # --- reads -------------------------------------------------------------------------

    async def received(
        self,
        generation: int,
        funds: Sequence[str] | None,
        start: datetime,
        end: datetime,
        theme: str | None,
    ) -> list[WeekCount]:
        table = DASHBOARD_THREADS
        return await self._weekly_counts(
            table, table.c.submitted_at, generation, funds, start, end, theme
        )

    async def answers(
        self,
        generation: int,
        funds: Sequence[str] | None,
        start: datetime,
        end: datetime,
        theme: str | None,
    ) -> list[AnswerCount]:
        table = DASHBOARD_THREADS
        week = _paris_week(table.c.first_reply_at)
        rows = await self.session.execute(
            select(
                week,
                table.c.theme_code,
                func.max(table.c.theme_label),
                table.c.first_answer_working_days,
                table.c.answered_on_time,
                func.count(),
            )
            .where(
                *_scope(table, generation, funds, theme),
                table.c.first_reply_at >= start,
                table.c.first_reply_at < end,
                table.c.first_answer_working_days.is_not(None),
            )
            .group_by(
                week,
                table.c.theme_code,
                table.c.first_answer_working_days,
                table.c.answered_on_time,
            )
        )
        return [
            AnswerCount(row[0], _theme(row[1], row[2]), row[3], bool(row[4]), row[5])
            for row in rows
        ]

    async def relances(
        self,
        generation: int,
        funds: Sequence[str] | None,
        start: datetime,
        end: datetime,
        theme: str | None,
    ) -> list[WeekCount]:
        table = DASHBOARD_RELANCES
        return await self._weekly_counts(
            table, table.c.occurred_at, generation, funds, start, end, theme
        )

    async def _weekly_counts(
        self,
        table: Table,
        moment: ColumnElement[datetime],
        generation: int,
        funds: Sequence[str] | None,
        start: datetime,
        end: datetime,
        theme: str | None,
    ) -> list[WeekCount]:
        """How many rows of ``table`` fall in each Paris week and theme, by ``moment``."""
        week = _paris_week(moment)
        rows = await self.session.execute(
            select(week, table.c.theme_code, func.max(table.c.theme_label), func.count())
            .where(*_scope(table, generation, funds, theme), moment >= start, moment < end)
            .group_by(week, table.c.theme_code)
        )
        return [WeekCount(row[0], _theme(row[1], row[2]), row[3]) for row in rows]

    async def satisfaction(
        self,
        generation: int,
        funds: Sequence[str] | None,
        start: datetime,
        end: datetime,
        theme: str | None,
    ) -> list[WeekCount]:
        table = DASHBOARD_SATISFACTION
        week = _paris_week(table.c.answered_at)
        yes = func.count().filter(table.c.helpful.is_(True))
        rows = await self.session.execute(
            select(week, table.c.theme_code, func.max(table.c.theme_label), func.count(), yes)
            .where(
                *_scope(table, generation, funds, theme),
                table.c.answered_at >= start,
                table.c.answered_at < end,
            )
            .group_by(week, table.c.theme_code)
        )
        return [WeekCount(row[0], _theme(row[1], row[2]), row[3], row[4]) for row in rows]

    async def themes(
        self, generation: int, funds: Sequence[str] | None, start: datetime, end: datetime
    ) -> list[ThemeRef]:
        """The themes of the threads sent in the period, whatever the theme filter."""
        table = DASHBOARD_THREADS
        rows = await self.session.execute(
            select(table.c.theme_code, func.max(table.c.theme_label))
            .where(
                *_scope(table, generation, funds, None),
                table.c.submitted_at >= start,
                table.c.submitted_at < end,
            )
            .group_by(table.c.theme_code)
        )
        return [_theme(row[0], row[1]) for row in rows]

    async def waiting(
        self, generation: int, funds: Sequence[str] | None, as_of: datetime, theme: str | None
    ) -> list[WaitingCount]:
        """Threads sent before ``as_of`` and, at ``as_of``, neither answered nor closed (as
        ``domain.dashboard.closed_at`` says, from their latest closing or reopening)."""
        table = DASHBOARD_THREADS
        closings = DASHBOARD_CLOSINGS
        latest_closed = (
            select(closings.c.closed)
            .where(
                closings.c.generation == table.c.generation,
                closings.c.thread_id == table.c.thread_id,
                closings.c.changed_at < as_of,
            )
            .order_by(closings.c.changed_at.desc(), closings.c.closed.asc())
            .limit(1)
            .correlate(table)
            .scalar_subquery()
        )
        sent_on = func.timezone("Europe/Paris", table.c.submitted_at).cast(Date)
        rows = await self.session.execute(
            select(table.c.theme_code, func.max(table.c.theme_label), sent_on, func.count())
            .where(
                *_scope(table, generation, funds, theme),
                table.c.submitted_at < as_of,
                or_(table.c.first_reply_at.is_(None), table.c.first_reply_at >= as_of),
                func.coalesce(latest_closed, false()).is_(false()),
            )
            .group_by(table.c.theme_code, sent_on)
        )
        return [WaitingCount(_theme(row[0], row[1]), row[2], row[3]) for row in rows]


def _scope(
    table: Table, generation: int, funds: Sequence[str] | None, theme: str | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.generation == generation]
    if funds is not None:
        conditions.append(table.c.fund.in_(list(funds)))
    if theme is not None:
        conditions.append(table.c.theme_code == theme)
    return conditions


def _theme(code: str | None, label: str | None) -> ThemeRef:
    if code is None:
        return ThemeRef("?", "Prestation inconnue")
    return ThemeRef(code, label or code)


class DashboardUnitOfWork(UnitOfWork):
    """One transaction over the projection's tables alone: the projection needs nothing else
    of the service, and could move to a service of its own with its tables."""

    dashboard: DashboardRepository

    def on_enter(self) -> None:
        self.dashboard = DashboardRepository(self.session, self.writes)

    async def commit(self) -> None:
        await self.dashboard.write_seen()
        await super().commit()


#: What the dashboard's handlers take as ``dashboard_uow``: each call opens a new one.
DashboardUnitOfWorkFactory = Callable[[], DashboardUnitOfWork]
