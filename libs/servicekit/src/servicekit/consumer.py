"""The idempotent consumer: each event's effect happens once, and offsets follow effects.

For each record: decode it, then in one transaction record ``(consumer, event_id)`` in
``processed_events`` and apply the handler's effect; the offset is committed only after that
transaction commits (FastStream's ``NACK_ON_ERROR`` policy). A redelivered event finds its id
already recorded and does nothing.

Failures:
- the database or broker is unreachable or busy (a failover, a deadlock, a serialization
  failure): wait with backoff and try again, for as long as it takes (nothing is
  dead-lettered because a dependency is down);
- the handler fails on this event: retry a few times with backoff, then dead-letter it (an
  ``EventDeadLettered`` through the outbox, in the same transaction as recording the event
  as processed) and move on;
- the record cannot be read as an event this topic declares: dead-letter it at once.

Dead letters never carry the topic's one-time secrets (``TopicSpec.secret_fields``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import (
    Column,
    DateTime,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert

from contracts import Event, TopicSpec, UndecodableEvent, decode
from contracts.events.dead_letter import EventDeadLettered
from servicekit import backoff
from servicekit.db import UnitOfWork
from servicekit.failures import is_unavailable
from servicekit.logging import get_logger
from servicekit.outbox import metadata as servicekit_metadata
from servicekit.tracing import TraceContext, set_trace

logger = get_logger(__name__)

PROCESSED_EVENTS = Table(
    "processed_events",
    servicekit_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("outcome", Text, nullable=False, server_default="done"),
    PrimaryKeyConstraint("consumer", "event_id"),
)

UoW = TypeVar("UoW", bound=UnitOfWork)


async def claim_event(
    uow: UnitOfWork, consumer: str, event_id: uuid.UUID, outcome: str = "done"
) -> bool:
    """Record that ``consumer`` handled ``event_id`` in this unit of work; False if it already had."""
    result = await uow.session.execute(
        insert(PROCESSED_EVENTS)
        .values(consumer=consumer, event_id=event_id, outcome=outcome)
        .on_conflict_do_nothing()
        .returning(PROCESSED_EVENTS.c.event_id)
    )
    return result.first() is not None


#: ``claim_events``' statement, built once: every group of any size is the same statement
#: (an array of ids), compiled and prepared once.
_CLAIM_EVENTS = text(
    "INSERT INTO processed_events (consumer, event_id)"
    " SELECT :consumer, unnest(CAST(:event_ids AS uuid[]))"
    " ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(bindparam("event_ids", type_=ARRAY(Uuid)))


async def claim_events(
    uow: UnitOfWork, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """``claim_event`` for several events in one statement: those not handled before."""
    result = await uow.session.execute(
        _CLAIM_EVENTS, {"consumer": consumer, "event_ids": list(event_ids)}
    )
    return set(result.scalars())


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.handled = Counter(
            "events_consumed", "Events handled", ["consumer", "outcome"], registry=registry
        )
        self.lag = Gauge(
            "consumer_lag",
            "Records behind the end of the partition",
            ["consumer", "topic", "partition"],
            registry=registry,
        )


Handler = Callable[[Any, UoW], Awaitable[None]]
TombstoneHandler = Callable[[str, UoW], Awaitable[None]]
#: Called once for the new events of a group, in its transaction, before the handler is
#: called for each: what the handlers would each read or lock, read or locked at once.
GroupPreparation = Callable[[Sequence[Any], UoW], Awaitable[None]]


@dataclass
class IdempotentConsumer(Generic[UoW]):
    """How one consumer group applies one topic's events."""

    name: str
    topic: TopicSpec
    handler: Handler[UoW]
    unit_of_work: Callable[[], UoW]
    producer: str
    dead_letter_topic: TopicSpec | None
    metrics: ConsumerMetrics
    on_tombstone: TombstoneHandler[UoW] | None = None
    prepare_group: GroupPreparation[UoW] | None = None
    #: Tries of a failing handler before the event is dead-lettered: with full jitter over
    #: 0.5, 1, 2, 4, 8 s the last one comes about half a minute after the first, long enough
    #: for a deployment's hiccup to pass.
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 60.0

    async def handle_record(
        self, record: ConsumerRecord[Any, Any], *, lag: int | None = None
    ) -> None:
        if lag is not None:
            self.metrics.lag.labels(self.name, record.topic, str(record.partition)).set(lag)
        set_trace(TraceContext.continue_from(_header(record, "traceparent")))
        if record.value is None:
            await self._retrying(lambda: self._apply_tombstone(record), what="tombstone")
            return
        try:
            event = decode(self.topic, record.value)
        except UndecodableEvent as error:
            reason = str(error)
            await self._retrying(
                lambda: self._dead_letter(record, None, reason, attempts=1), what="dead letter"
            )
            return

        async def give_up(error: BaseException, attempts: int) -> None:
            await self._dead_letter(record, event, _reason(error), attempts=attempts)

        await self._retrying(
            lambda: self._apply(event),
            what=f"{event.event_type} {event.event_id}",
            give_up=give_up,
        )

    async def handle_records(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Several records polled together: their events applied in one transaction, in
        order, each recorded as processed as it is applied alone (a duplicate does nothing,
        every other event has its effect once); one commit, then one offset commit for them
        all. While a dependency is down the whole group waits and is tried again. If an
        event of the group fails, or a record is a tombstone or cannot be read, the group is
        rolled back and its records are handled one by one, as ``handle_record`` does (so
        that only the failing event is retried, then dead-lettered)."""
        events: list[tuple[ConsumerRecord[Any, Any], Event]] = []
        for record in records:
            if record.value is None:
                break
            try:
                events.append((record, decode(self.topic, record.value)))
            except UndecodableEvent:
                break
        if len(records) > 1 and len(events) == len(records) and await self._group(events):
            return
        for record in records:
            await self.handle_record(record)

    async def _group(self, events: Sequence[tuple[ConsumerRecord[Any, Any], Event]]) -> bool:
        """Apply ``events`` together, waiting while a dependency is down; False if one of
        them failed otherwise (nothing of the group was kept)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply_group(events)
                return True
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_unavailable(error):
                    logger.info(
                        "a group of events failed, handling them one by one",
                        consumer=self.name,
                        events=len(events),
                        error=_reason(error),
                    )
                    return False
                delay = backoff.delay(attempt, base=self.backoff_base, cap=self.backoff_cap)
                logger.warning(
                    "event handling failed, will retry",
                    consumer=self.name,
                    what=f"{len(events)} events",
                    attempt=attempt,
                    dependency_down=True,
                    error=_reason(error),
                    retry_in_seconds=round(delay, 2),
                )
                self.metrics.handled.labels(self.name, "retried").inc()
                await asyncio.sleep(delay)

    async def _apply_group(self, events: Sequence[tuple[ConsumerRecord[Any, Any], Event]]) -> None:
        outcomes: list[str] = []
        async with self.unit_of_work() as uow:
            # The group's ids recorded in one statement; an id twice in the group is handled
            # at its first place only.
            new = await claim_events(uow, self.name, [event.event_id for _, event in events])
            if self.prepare_group is not None and new:
                await self.prepare_group(
                    [event for _, event in events if event.event_id in new], uow
                )
            for record, event in events:
                set_trace(TraceContext.continue_from(_header(record, "traceparent")))
                if event.event_id not in new:
                    outcomes.append("duplicate")
                    continue
                new.discard(event.event_id)
                await self.handler(event, uow)
                outcomes.append("done")
            await uow.commit()
        for outcome in outcomes:
            self.metrics.handled.labels(self.name, outcome).inc()

    async def _retrying(
        self,
        action: Callable[[], Awaitable[None]],
        *,
        what: str,
        give_up: Callable[[BaseException, int], Awaitable[None]] | None = None,
    ) -> None:
        """Run ``action`` until it succeeds, pausing with backoff between tries.

        A dependency that is down is waited for as long as it takes. Any other failure is
        given up after ``max_attempts`` when ``give_up`` says how (the event is
        dead-lettered), and retried for as long as it takes otherwise (recording a
        tombstone or a dead letter only needs the database)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await action()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                unavailable = is_unavailable(error)
                if give_up is not None and not unavailable and attempt >= self.max_attempts:
                    await self._retrying(
                        functools.partial(give_up, error, attempt), what=f"giving up {what}"
                    )
                    return
                delay = backoff.delay(attempt, base=self.backoff_base, cap=self.backoff_cap)
                logger.warning(
                    "event handling failed, will retry",
                    consumer=self.name,
                    what=what,
                    attempt=attempt,
                    dependency_down=unavailable,
                    error=_reason(error),
                    retry_in_seconds=round(delay, 2),
                )
                self.metrics.handled.labels(self.name, "retried").inc()
                await asyncio.sleep(delay)

    async def _apply(self, event: Event) -> None:
        async with self.unit_of_work() as uow:
            if not await claim_event(uow, self.name, event.event_id):
                self.metrics.handled.labels(self.name, "duplicate").inc()
                logger.info(
                    "duplicate event ignored", consumer=self.name, event_id=str(event.event_id)
                )
                return
            await self.handler(event, uow)
            await uow.commit()
        self.metrics.handled.labels(self.name, "done").inc()

    async def _apply_tombstone(self, record: ConsumerRecord[Any, Any]) -> None:
        if self.on_tombstone is None:
            return
        key = record.key.decode() if isinstance(record.key, bytes) else str(record.key)
        async with self.unit_of_work() as uow:
            # Applying a deletion twice leaves the same state: no id to record.
            await self.on_tombstone(key, uow)
            await uow.commit()
        self.metrics.handled.labels(self.name, "tombstone").inc()

    async def _dead_letter(
        self,
        record: ConsumerRecord[Any, Any],
        event: Event | None,
        reason: str,
        *,
        attempts: int,
    ) -> None:
        """Give up on this record: publish why, and remember it so it is not given up twice.

        If even that cannot be written, the exception propagates: the offset is not
        committed and the record comes back."""
        logger.error(
            "event dead-lettered",
            consumer=self.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
            attempts=attempts,
        )
        source_id = (
            event.event_id
            if event is not None
            else uuid.uuid5(
                uuid.NAMESPACE_URL, f"kafka:{record.topic}/{record.partition}/{record.offset}"
            )
        )
        async with self.unit_of_work() as uow:
            if not await claim_event(uow, self.name, source_id, outcome="dead-lettered"):
                return
            if self.dead_letter_topic is not None:
                uow.publish(
                    EventDeadLettered.new(
                        producer=self.producer,
                        source_topic=self.topic.name,
                        source_event_id=event.event_id if event is not None else None,
                        source_event_type=event.event_type if event is not None else None,
                        consumer=self.name,
                        reason=reason[:2000],
                        attempts=attempts,
                        source=_redacted_source(self.topic, record.value),
                    ),
                    topic=self.dead_letter_topic,
                )
            await uow.commit()
        self.metrics.handled.labels(self.name, "dead-lettered").inc()


def _header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for header, value in record.headers or ():
        if header == name:
            return bytes(value).decode(errors="replace")
    return None


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _redacted_source(topic: TopicSpec, value: bytes | None) -> dict[str, Any] | None:
    """The record as a JSON object for the dead letter, its one-time secrets blanked out."""
    try:
        decoded = json.loads(value) if value is not None else None
    except (ValueError, UnicodeDecodeError):
        return None
    return topic.redacted(decoded) if isinstance(decoded, dict) else None
