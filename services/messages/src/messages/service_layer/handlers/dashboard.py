"""The supervisors' dashboard: events applied to the projection, the figures read from it,
and its rebuild from the topics.

The projection is fed only by events (``messages.message-submitted.v1``,
``messages.reply-posted.v1``, ``messages.thread-activity.v1``) and keeps its own tables: it
could move to a service of its own unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Protocol

from contracts import Event, TopicSpec
from contracts.events.common import CatalogNode
from contracts.events.messages import (
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from contracts.topics import MESSAGE_SUBMITTED, REPLY_POSTED, THREAD_ACTIVITY
from messages.adapters.dashboard import (
    DashboardRepository,
    DashboardUnitOfWork,
    DashboardUnitOfWorkFactory,
)
from messages.domain.dashboard import Closing, ThemeRef, summarise
from messages.domain.dashboard_commands import (
    Dashboard,
    Lag,
    RebuildDashboard,
    RebuildReport,
    ShowDashboard,
    funds_for,
    period_for,
    scope_for,
)
from servicekit.clock import PARIS, Clock, paris_date
from servicekit.logging import get_logger

logger = get_logger(__name__)

#: The topics the projection is built from.
DASHBOARD_TOPICS: tuple[TopicSpec, ...] = (MESSAGE_SUBMITTED, REPLY_POSTED, THREAD_ACTIVITY)


class ProjectionLag(Protocol):
    """How many events of its topics the projection has not applied yet (None: unknown)."""

    @property
    def behind_by_events(self) -> int | None: ...


def _theme(node: CatalogNode) -> ThemeRef:
    return ThemeRef(node.code, node.label)


async def apply_event(event: Event, dashboard: DashboardRepository, generation: int) -> None:
    """What one event changes in the projection's ``generation``; the same twice or in
    another order as once in order."""
    match event:
        case MessageSubmitted(follow_up=False):
            facts = await dashboard.thread(generation, event.thread_id, event.fund)
            await dashboard.save_thread(
                generation,
                facts.submitted(_theme(event.theme), event.submitted_at, event.due_date),
            )
        case ReplyPosted():
            facts = await dashboard.thread(generation, event.thread_id, event.fund)
            await dashboard.save_thread(
                generation, facts.replied(_theme(event.theme), event.posted_at)
            )
        case ThreadClosed() | ThreadClosedUnanswered():
            await dashboard.add_closing(
                generation,
                Closing(event.event_id, event.thread_id, closed=True, at=event.closed_at),
            )
        case ThreadReopened():
            await dashboard.add_closing(
                generation,
                Closing(event.event_id, event.thread_id, closed=False, at=event.reopened_at),
            )
        case ReplyNotUnderstood():
            await dashboard.add_relance(
                generation,
                event_id=event.event_id,
                thread_id=event.thread_id,
                fund=event.fund,
                theme=_theme(event.theme),
                occurred_at=event.occurred_at,
            )
        case SatisfactionGiven():
            await dashboard.record_satisfaction(
                generation,
                reply_id=event.reply_id,
                thread_id=event.thread_id,
                fund=event.fund,
                theme=_theme(event.theme),
                helpful=event.helpful,
                answered_at=event.answered_at,
            )
        case _:
            # Follow-ups, details asked and given, reminders: nothing the dashboard counts.
            pass
    await dashboard.saw_event(event.occurred_at)


async def project_event(event: Event, uow: DashboardUnitOfWork) -> None:
    """The live consumers' handler: apply ``event`` to the live generation (the consumer
    records the event id and commits)."""
    await apply_event(event, uow.dashboard, await uow.dashboard.live_generation())


def _start_of(day: date) -> datetime:
    """Midnight in Europe/Paris at the start of ``day``."""
    return datetime.combine(day, time.min, tzinfo=PARIS)


async def show_dashboard(
    cmd: ShowDashboard,
    *,
    dashboard_uow: DashboardUnitOfWorkFactory,
    clock: Clock,
    dashboard_lag: ProjectionLag,
) -> Dashboard:
    now = clock.now()
    scope = scope_for(cmd.viewer, cmd.fund)
    period = period_for(cmd.start, cmd.end, paris_date(now))
    funds = (scope.code,) if scope is not None else None
    start = _start_of(period.first)
    end = _start_of(period.last + timedelta(days=1))
    as_of = min(end, now)
    theme = cmd.theme or None
    async with dashboard_uow() as unit:
        repository = unit.dashboard
        generation = await repository.live_generation()
        received = await repository.received(generation, funds, start, end, theme)
        answers = await repository.answers(generation, funds, start, end, theme)
        relances = await repository.relances(generation, funds, start, end, theme)
        satisfaction = await repository.satisfaction(generation, funds, start, end, theme)
        waiting = await repository.waiting(generation, funds, as_of, theme)
        offered = await repository.themes(generation, funds, start, end)
        last_event_at, rebuilt_at = await repository.state()
    summary = summarise(
        period,
        received=received,
        answers=answers,
        relances=relances,
        satisfaction=satisfaction,
        waiting=waiting,
        backlog_as_of=paris_date(as_of - timedelta(microseconds=1)),
    )
    known = {ref.code: ref for ref in (*offered, *summary.themes)}
    chosen = (known.get(theme) or ThemeRef(theme, theme)) if theme is not None else None
    return Dashboard(
        scope=scope,
        period=period,
        theme=chosen,
        funds=funds_for(cmd.viewer),
        summary=replace(summary, themes=tuple(sorted(known.values(), key=lambda ref: ref.label))),
        lag=Lag(
            behind_by_events=dashboard_lag.behind_by_events,
            last_event_at=last_event_at,
            rebuilt_at=rebuilt_at,
        ),
    )


# --- Rebuild ------------------------------------------------------------------------------


class EventSource(Protocol):
    """The projection's topics as a replay reads them (``adapters.dashboard_kafka``)."""

    async def end_offsets(self) -> Mapping[tuple[str, int], int]: ...

    def events(
        self,
        start: Mapping[tuple[str, int], int] | None,
        end: Mapping[tuple[str, int], int],
    ) -> AsyncIterator[Event | None]: ...


async def rebuild_dashboard(
    cmd: RebuildDashboard,
    *,
    dashboard_uow: DashboardUnitOfWorkFactory,
    dashboard_source: EventSource,
    clock: Clock,
) -> RebuildReport:
    """Replay the topics from their beginning into the generation that is not live, make it
    live, then apply again what arrived meanwhile (the live consumers may have put it in the
    old generation). The dashboard answers from the old generation until the switch."""
    uow, source, batch_size = dashboard_uow, dashboard_source, cmd.batch_size
    async with uow() as unit:
        live = await unit.dashboard.live_generation()
        target = 2 if live == 1 else 1
        await unit.dashboard.clear(target)
        await unit.commit()
    ends = await source.end_offsets()
    events, unreadable = await _replay(uow, source, None, ends, target, batch_size)
    rebuilt_at = clock.now()
    async with uow() as unit:
        await unit.dashboard.make_live(target, rebuilt_at=rebuilt_at)
        await unit.commit()
    latest = await source.end_offsets()
    more, more_unreadable = await _replay(uow, source, ends, latest, target, batch_size)
    async with uow() as unit:
        await unit.dashboard.clear(live)
        await unit.commit()
    report = RebuildReport(target, events + more, unreadable + more_unreadable, rebuilt_at)
    logger.info(
        "dashboard rebuilt",
        generation=report.generation,
        events=report.events,
        unreadable=report.unreadable,
    )
    return report


async def _replay(
    uow: DashboardUnitOfWorkFactory,
    source: EventSource,
    start: Mapping[tuple[str, int], int] | None,
    end: Mapping[tuple[str, int], int],
    generation: int,
    batch_size: int,
) -> tuple[int, int]:
    applied = unreadable = 0
    pending: list[Event] = []

    async def flush() -> None:
        async with uow() as unit:
            for event in pending:
                await apply_event(event, unit.dashboard, generation)
            await unit.commit()
        pending.clear()

    async for event in source.events(start, end):
        if event is None:
            unreadable += 1
            continue
        pending.append(event)
        applied += 1
        if len(pending) >= batch_size:
            await flush()
    if pending:
        await flush()
    return applied, unreadable
