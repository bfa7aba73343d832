"""The transactional outbox and its relay.

A unit of work writes its events into ``outbox`` in the same transaction as the domain
change (see ``servicekit.db.UnitOfWork``). The relay reads unpublished rows and publishes
them to Kafka with an idempotent producer (``acks=all``), then marks them published.

Several replicas may relay at once. Rows are claimed with ``FOR UPDATE SKIP LOCKED``; the
events of one key must still leave in order, so a replica publishes a key's rows only while
it holds that key's transaction-scoped advisory lock and only from the oldest unpublished
row of that key onwards, without gaps. A batch that fails is rolled back and retried with
backoff: rows may then be published twice, never lost; consumers drop duplicates by
``event_id``.

A row the broker refuses (too large, topic missing or not allowed) rests, its key with it,
while the others go on. A cluster that is away (killed, restarting, electing leaders) is
nobody's row's fault: the batch fails as a whole and is tried again within a few seconds,
so that the backlog leaves as soon as the brokers answer, not after each key's rest.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    cast,
    column,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import ALL_TOPICS, Event, TopicSpec
from servicekit import backoff
from servicekit.clock import Clock, SystemClock
from servicekit.failures import kafka_unreachable
from servicekit.logging import get_logger
from servicekit.tracing import current_traceparent
from servicekit.worker import WorkLoop

logger = get_logger(__name__)

#: NOTIFY channel a committing unit of work signals, so the relay wakes at once.
OUTBOX_CHANNEL = "outbox"

#: Tables that servicekit owns in every service's database (created by each service's
#: first migration through ``servicekit.migrations``).
metadata = MetaData()

OUTBOX = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("topic", Text, nullable=False, comment="Logical topic name, without prefix"),
    Column("key", Text, nullable=False),
    Column("event_type", Text, nullable=True),
    Column("payload", JSONB, nullable=True, comment="The event; NULL for a tombstone"),
    Column("headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Index("outbox_unpublished_idx", "id", postgresql_where=text("published_at IS NULL")),
    Index("outbox_unpublished_key_idx", "key", "id", postgresql_where=text("published_at IS NULL")),
    Index("outbox_published_at_idx", "published_at"),
)


def outbox_row(topic: TopicSpec, *, key: str, event: Event | None) -> dict[str, Any]:
    headers = {"traceparent": current_traceparent()}
    if event is not None:
        headers |= {"event_type": event.event_type, "event_id": str(event.event_id)}
    return {
        "event_id": event.event_id if event is not None else uuid.uuid4(),
        "topic": topic.name,
        "key": key,
        "event_type": event.event_type if event is not None else None,
        "payload": json.loads(event.to_json()) if event is not None else None,
        "headers": {name: value for name, value in headers.items() if value},
    }


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    topic: str
    key: str
    payload: dict[str, Any] | None
    headers: dict[str, str]
    attempts: int = 0

    def value(self) -> bytes | None:
        if self.payload is None:
            return None
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode()


#: Sends one record and returns something to await for its acknowledgement; sends of one
#: batch are started in order and awaited together.
SendFunction = Callable[
    [str, bytes, bytes | None, list[tuple[str, bytes]]], Awaitable[Awaitable[Any]]
]


class NotAttempted:
    """The outcome of a record left for the next batch, after an earlier one failed."""


@dataclass(frozen=True)
class ClusterAway:
    """The outcome of a record whose acknowledgement failed because the cluster is away."""

    error: BaseException


#: Pauses of the relay while it cannot publish: short, so that a backlog leaves within
#: seconds of the brokers (or the database) answering again.
RELAY_BACKOFF_CAP_SECONDS = 5.0


#: One-time secrets of each topic (contracts), dropped from published rows.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    topic.name: topic.secret_fields for topic in ALL_TOPICS if topic.secret_fields
}


class RelayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter(
            "outbox_published", "Events published from the outbox", ["topic"], registry=registry
        )
        self.failures = Counter(
            "outbox_publish_failures", "Batches that failed to publish", registry=registry
        )
        self.pending = Gauge("outbox_pending", "Unpublished outbox rows", registry=registry)
        self.oldest_age = Gauge(
            "outbox_oldest_unpublished_age_seconds",
            "Age of the oldest unpublished outbox row",
            registry=registry,
        )


#: A relay's claim: up to ``batch_size`` unpublished rows, oldest first, locked for this
#: replica (``claimed``); then, of their keys, those this replica locks (transaction-level
#: advisory locks, each key once, not waiting for one another replica holds), with every
#: unpublished row of those keys up to the last claimed (not ``claimed``), oldest first.
_CLAIM_AND_LOCK = text(
    "WITH claimed AS MATERIALIZED ("
    " SELECT id, topic, key, payload, headers, attempts FROM outbox"
    " WHERE published_at IS NULL ORDER BY id LIMIT :batch_size FOR UPDATE SKIP LOCKED),"
    " locked AS MATERIALIZED ("
    " SELECT key FROM (SELECT DISTINCT key FROM claimed) AS keys"
    " WHERE pg_try_advisory_xact_lock(hashtext('outbox'), hashtext(key)))"
    " SELECT true AS claimed, id, topic, key, payload, headers, attempts FROM claimed"
    " UNION ALL"
    " SELECT false, outbox.id, NULL, outbox.key, NULL, NULL, NULL"
    " FROM outbox JOIN locked USING (key)"
    " WHERE outbox.published_at IS NULL AND outbox.id <= (SELECT max(id) FROM claimed)"
    " ORDER BY claimed DESC, id"
).columns(
    column("claimed", Boolean),
    OUTBOX.c.id,
    OUTBOX.c.topic,
    OUTBOX.c.key,
    OUTBOX.c.payload,
    OUTBOX.c.headers,
    OUTBOX.c.attempts,
)


class OutboxRelay:
    """Publishes outbox rows; run ``await relay.run()`` as a background task."""

    def __init__(
        self,
        engine: AsyncEngine,
        send: SendFunction,
        *,
        listen_dsn: str | None,
        topic_prefix: str = "",
        batch_size: int = 200,
        poll_interval: float = 1.0,
        retention: timedelta = timedelta(days=7),
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        clock = clock or SystemClock()
        self._engine = engine
        self._send = send
        self._topic_prefix = topic_prefix
        self._batch_size = batch_size
        self._retention = retention
        self._clock = clock
        self._metrics = RelayMetrics(registry or CollectorRegistry())
        self._last_cleanup = clock.now()
        self._last_gauges = datetime.min.replace(tzinfo=UTC)
        #: Keys whose oldest row failed on its own (too large, topic missing or not allowed):
        #: they rest until the given time while the other keys go on.
        self._resting: dict[str, float] = {}
        self._loop = WorkLoop(
            name="outbox",
            claim=self._publish_and_tidy,
            process=self._more_due,
            listen_dsn=listen_dsn,
            channel=OUTBOX_CHANNEL,
            poll_interval=poll_interval,
            failure_message="outbox publish failed, will retry",
            on_failure=lambda _error: self._metrics.failures.inc(),
            backoff_base=0.4,
            backoff_cap=RELAY_BACKOFF_CAP_SECONDS,
        )

    def wake(self) -> None:
        self._loop.wake()

    @property
    def healthy(self) -> bool:
        return self._loop.healthy

    async def run(self) -> None:
        await self._loop.run()

    async def _publish_and_tidy(self) -> int:
        published = await self.publish_batch()
        await self._housekeeping()
        return published

    async def _more_due(self, published: int) -> bool:
        """A full batch: there may be more right now."""
        return published >= self._batch_size

    async def publish_batch(self) -> int:
        """Publish what this replica may publish now; return how many rows it published."""
        async with self._engine.begin() as connection:
            # The rows claimed, the keys locked and those keys' unpublished rows in one
            # statement: in the usual case (one replica, or keys not shared) every claimed
            # row is published.
            rows = (
                await connection.execute(_CLAIM_AND_LOCK, {"batch_size": self._batch_size})
            ).all()
            claimed = [row for row in rows if row.claimed]
            if not claimed:
                return 0
            # The keys this replica locked have at least their claimed row among these.
            unpublished = [(row.id, row.key) for row in rows if not row.claimed]
            locked_keys = sorted({key for _, key in unpublished})
            now = time.monotonic()
            awake = [key for key in locked_keys if self._resting.get(key, 0.0) <= now]
            ids = set(self._publishable(claimed, awake, unpublished))
            if not ids:
                return 0
            records = [
                OutboxRecord(row.id, row.topic, row.key, row.payload, row.headers, row.attempts)
                for row in claimed
                if row.id in ids
            ]
            outcomes = await self._publish(records)
            sent = [
                record for record, outcome in zip(records, outcomes, strict=True) if outcome is None
            ]
            failed = [
                (record, outcome)
                for record, outcome in zip(records, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
            away = [outcome.error for outcome in outcomes if isinstance(outcome, ClusterAway)]
            await self._mark_published(connection, sent)
            await self._mark_failed(connection, failed)
        for record in sent:
            self._metrics.published.labels(record.topic).inc()
        if away:
            raise away[0]
        if failed and not sent:
            raise failed[0][1]
        return len(sent)

    async def _mark_published(self, connection: Any, records: Sequence[OutboxRecord]) -> None:
        """Published: done, and its one-time secrets (an activation code...) are dropped
        from the table, which is kept for days."""
        if not records:
            return
        await connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_([record.id for record in records]))
            .values(published_at=func.now(), attempts=OUTBOX.c.attempts + 1, last_error=None)
        )
        for topic_name in {record.topic for record in records}:
            secrets = SECRET_FIELDS.get(topic_name)
            if secrets:
                await connection.execute(
                    update(OUTBOX)
                    .where(
                        OUTBOX.c.id.in_([r.id for r in records if r.topic == topic_name]),
                        OUTBOX.c.payload.is_not(None),
                    )
                    .values(payload=OUTBOX.c.payload.op("-")(cast(list(secrets), ARRAY(Text))))
                )

    async def _mark_failed(
        self, connection: Any, failures: Sequence[tuple[OutboxRecord, BaseException]]
    ) -> None:
        """Say why in the row, and let its key rest (growing pauses) while others go on."""
        now = time.monotonic()
        for record, error in failures:
            attempts = record.attempts + 1
            self._resting[record.key] = now + backoff.delay(attempts, base=4.0, cap=300.0)
            logger.warning(
                "outbox row not published, its key rests",
                outbox_id=record.id,
                topic=record.topic,
                attempts=attempts,
                error=repr(error),
            )
            await connection.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id == record.id)
                .values(attempts=attempts, last_error=repr(error)[:2000])
            )
        for key in [key for key, until in self._resting.items() if until <= now]:
            del self._resting[key]

    @staticmethod
    def _publishable(
        claimed: Sequence[Any], locked_keys: Sequence[str], unpublished: Sequence[tuple[int, str]]
    ) -> list[int]:
        """Ids this replica may publish: for each key it locked, the run of its claimed rows
        that starts at the key's oldest unpublished row and stops at the first row it does not
        hold (held by another replica, which will wait for this one)."""
        claimed_ids = {row.id for row in claimed}
        locked = set(locked_keys)
        blocked: set[str] = set()
        publishable = []
        for row_id, key in unpublished:
            if key not in locked or key in blocked:
                continue
            if row_id in claimed_ids:
                publishable.append(row_id)
            else:
                blocked.add(key)
        return publishable

    async def _publish(
        self, records: Sequence[OutboxRecord]
    ) -> list[BaseException | NotAttempted | ClusterAway | None]:
        """Send ``records`` in order; each one's outcome (None when acknowledged).

        A record the broker refuses at sending (too large, topic missing or not allowed)
        fails alone and the batch stops there: what follows waits for the next batch. A lost
        connection fails the whole batch; so does an acknowledgement that never came
        because the cluster is away (``ClusterAway``: the rows acknowledged before are still
        marked published)."""
        outcomes: list[BaseException | NotAttempted | ClusterAway | None] = [None] * len(records)
        acknowledgements: list[tuple[int, Awaitable[Any]]] = []
        for index, record in enumerate(records):
            headers = [(name, value.encode()) for name, value in record.headers.items()]
            try:
                acknowledgements.append(
                    (
                        index,
                        await self._send(
                            self._topic_prefix + record.topic,
                            record.key.encode(),
                            record.value(),
                            headers,
                        ),
                    )
                )
            except KafkaConnectionError:
                raise
            except Exception as error:
                outcomes[index] = error
                for later in range(index + 1, len(records)):
                    outcomes[later] = NotAttempted()
                break
        results = await asyncio.gather(
            *(ack for _, ack in acknowledgements), return_exceptions=True
        )
        for (index, _), result in zip(acknowledgements, results, strict=True):
            if isinstance(result, BaseException):
                outcomes[index] = ClusterAway(result) if kafka_unreachable(result) else result
        return outcomes

    async def _housekeeping(self) -> None:
        """Refresh the backlog gauges every few seconds and drop old published rows."""
        now = self._clock.now()
        if now - self._last_gauges < timedelta(seconds=5):
            return
        self._last_gauges = now
        async with self._engine.connect() as connection:
            pending, oldest = (
                await connection.execute(
                    select(func.count(), func.min(OUTBOX.c.created_at)).where(
                        OUTBOX.c.published_at.is_(None)
                    )
                )
            ).one()
            self._metrics.pending.set(pending)
            self._metrics.oldest_age.set((now - oldest).total_seconds() if oldest else 0)
            if now - self._last_cleanup > timedelta(minutes=10):
                self._last_cleanup = now
                await connection.execute(
                    delete(OUTBOX).where(OUTBOX.c.published_at < now - self._retention)
                )
                await connection.commit()
