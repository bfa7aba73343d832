"""The dashboard projection's consumers: one consumer group per topic, of its own
(``messages.dashboard-*``), so the projection reads every event whatever the rest of the
service does; and the probe that says how far behind they are.

Each event is applied once (its id recorded with the effect, offsets committed after it);
one that keeps failing goes to ``messages.dead-letter.v1`` like the service's other
consumers'."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import Gauge

from contracts.topics import MESSAGE_SUBMITTED, MESSAGES_DEAD_LETTER, REPLY_POSTED, THREAD_ACTIVITY
from messages.adapters.dashboard import DashboardUnitOfWork, DashboardUnitOfWorkFactory
from messages.adapters.dashboard_kafka import GroupLag, TopicReplay
from messages.config import Settings
from messages.domain.dashboard_commands import RebuildDashboard
from messages.service_layer.handlers.dashboard import (
    DASHBOARD_TOPICS,
    project_event,
    rebuild_dashboard,
)
from servicekit.clock import SystemClock
from servicekit.db import create_engine, session_factory
from servicekit.kafka import group_id
from servicekit.logging import get_logger
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings

logger = get_logger(__name__)

#: Consumer name (the group is ``<service>.<name>``) → the topic it reads.
CONSUMERS = {
    "dashboard-submitted": MESSAGE_SUBMITTED,
    "dashboard-replies": REPLY_POSTED,
    "dashboard-activity": THREAD_ACTIVITY,
}


class DashboardLagProbe:
    """Keeps ``behind_by_events`` fresh, in memory for the API and as Prometheus gauges."""

    def __init__(
        self,
        lag: GroupLag,
        *,
        last_event_at: Callable[[], Awaitable[datetime | None]],
        runtime: ServiceRuntime,
    ) -> None:
        self._lag = lag
        self._last_event_at = last_event_at
        self.behind_by_events: int | None = None
        self._behind_gauge = Gauge(
            "dashboard_behind_by_events",
            "Events of the dashboard's topics its projection has not applied yet",
            registry=runtime.registry,
        )
        self._last_event_gauge = Gauge(
            "dashboard_last_event_timestamp_seconds",
            "When the latest event the dashboard's projection applied happened (Unix time)",
            registry=runtime.registry,
        )

    async def refresh(self) -> None:
        try:
            self.behind_by_events = await self._lag.behind_by()
            self._behind_gauge.set(self.behind_by_events)
        except Exception as error:
            self.behind_by_events = None
            self._behind_gauge.set(float("nan"))
            logger.warning("dashboard lag unknown", error=repr(error))
        try:
            last = await self._last_event_at()
            if last is not None:
                self._last_event_gauge.set(last.timestamp())
        except Exception as error:
            logger.warning("dashboard last event unknown", error=repr(error))

    async def keep_fresh(self, interval_seconds: float) -> None:
        try:
            while True:
                await self.refresh()
                await asyncio.sleep(interval_seconds)
        finally:
            await self._lag.close()


def add_dashboard_consumers(
    runtime: ServiceRuntime, *, settings: Settings, unit_of_work: DashboardUnitOfWorkFactory
) -> DashboardLagProbe:
    """The projection's consumers and its lag probe, started and stopped with the service."""
    for name, topic in CONSUMERS.items():
        runtime.add_consumer(
            name,
            topic,
            project_event,
            unit_of_work=unit_of_work,
            dead_letter_topic=MESSAGES_DEAD_LETTER,
            description="Feeds the supervisors' dashboard (its own tables, by ISO week and theme).",
            # The projection's statements run as they come (no deferred writes): the events
            # of one poll share one transaction and one offset commit.
            batch_size=settings.consumer_batch_size,
        )

    async def last_event_at() -> datetime | None:
        async with unit_of_work() as uow:
            last, _ = await uow.dashboard.state()
        return last

    probe = DashboardLagProbe(
        GroupLag(settings, {group_id(settings, name): topic for name, topic in CONSUMERS.items()}),
        last_event_at=last_event_at,
        runtime=runtime,
    )
    runtime.add_background(
        "dashboard-lag", lambda: probe.keep_fresh(settings.dashboard_lag_refresh_seconds)
    )
    return probe


def rebuild_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size", type=int, default=500, help="events applied per transaction (500)"
    )


async def rebuild_from_topics(settings: ServiceSettings, args: argparse.Namespace) -> int:
    """``python -m messages dashboard-rebuild``: the projection replayed from the topics."""
    if args.batch_size < 1:
        print("--batch-size must be at least 1", file=sys.stderr)
        return 2
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        report = await rebuild_dashboard(
            RebuildDashboard(batch_size=args.batch_size),
            dashboard_uow=lambda: DashboardUnitOfWork(sessions, producer=settings.service_name),
            dashboard_source=TopicReplay(settings, DASHBOARD_TOPICS),
            clock=SystemClock(),
        )
    finally:
        await engine.dispose()
    print(
        f"messages: dashboard rebuilt from {report.events} events "
        f"({report.unreadable} unreadable records skipped), generation {report.generation} "
        f"live since {report.rebuilt_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return 0
