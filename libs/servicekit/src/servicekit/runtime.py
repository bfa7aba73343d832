"""What a service runs besides its HTTP routes: database, outbox relay, Kafka consumers.

``ServiceRuntime`` is built in each service's ``create_app(settings)``; the app's lifespan
starts and stops it. Kafka being down never stops a service from starting: the relay and the
consumers connect in the background and ``/readyz`` says when they are there.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from itertools import chain
from typing import Any, Literal

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import BatchSubscriber
from faststream.middlewares import AckPolicy
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import TopicSpec
from servicekit import backoff
from servicekit.consumer import (
    ConsumerMetrics,
    Handler,
    IdempotentConsumer,
    TombstoneHandler,
    UoW,
)
from servicekit.db import asyncpg_dsn, create_engine, session_factory
from servicekit.kafka import (
    RelayProducer,
    create_broker,
    group_id,
    group_instance_id,
    topic_name,
)
from servicekit.logging import get_logger
from servicekit.outbox import OutboxRelay
from servicekit.revocations import RevocationList
from servicekit.security import JwksClient, KeySet, TokenVerifier, audience_of
from servicekit.settings import ServiceSettings

logger = get_logger(__name__)

#: ``/readyz`` says whether the database answers within this time (never a hang: a frozen
#: database is "not ready" after it).
READINESS_DATABASE_SECONDS = 2.0

#: How long a batch consumer's poll waits for a record, in milliseconds: it returns as soon
#: as one arrives, so this is only how often an idle consumer wakes up.
BATCH_POLL_MS = 500


class _WaitingBatchSubscriber(BatchSubscriber):
    """FastStream's batch subscriber, without the pause after an empty poll.

    FastStream's poll waits ``batch_timeout_ms`` for records, then, when none came, sleeps
    as long again: a record arriving during that sleep waits for its end, so the poll had to
    be short (20 ms), and every idle consumer of every service woke 25 times a second (a
    fifth of a core for the stack at rest, counted against each submission under a light
    load). aiokafka's ``getmany`` returns as soon as a record arrives and otherwise waits its
    whole timeout (never returning early when empty, even without partitions assigned), so
    the sleep adds nothing but delay: here the poll waits, and is called again at once."""

    __slots__ = ()

    async def get_msg(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord[Any, Any], ...]:
        polled = await consumer.getmany(
            timeout_ms=self.batch_timeout_ms, max_records=self.max_records
        )
        return tuple(chain.from_iterable(polled.values()))


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, *, keys: KeySet | None = None) -> None:
        self.settings = settings
        self.registry = CollectorRegistry()
        self.engine: AsyncEngine = create_engine(settings)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.verifier = TokenVerifier(
            keys or JwksClient(settings.auth_jwks_url),
            issuer=settings.auth_issuer,
            audience=audience_of(settings.service_name),
        )
        self.producer = RelayProducer(settings)
        self.relay = OutboxRelay(
            self.engine,
            self.producer.send,
            listen_dsn=asyncpg_dsn(settings.database_url.get_secret_value()),
            topic_prefix=settings.kafka_topic_prefix,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval_seconds,
            registry=self.registry,
        )
        self.consumer_metrics = ConsumerMetrics(self.registry)
        self.broker: KafkaBroker | None = None
        self.broker_started = False
        self._background: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.revocations: RevocationList | None = None
        self._readiness_connection: asyncpg.Connection | None = None
        self._readiness_lock = asyncio.Lock()

    def refuse_revoked_sessions(self) -> RevocationList:
        """Follow ``auth.revocations.v1`` and have the token verifier refuse the tokens of
        sessions ended before their time; readiness waits until the topic has been read."""
        if self.revocations is None:
            self.revocations = RevocationList(self.settings)
            self.verifier.revocations = self.revocations
            self.add_background("revocations", self.revocations.run)
        return self.revocations

    def add_consumer(
        self,
        name: str,
        topic: TopicSpec,
        handler: Handler[UoW],
        *,
        unit_of_work: Callable[[], UoW],
        dead_letter_topic: TopicSpec | None = None,
        on_tombstone: TombstoneHandler[UoW] | None = None,
        auto_offset_reset: Literal["earliest", "latest"] = "earliest",
        description: str = "",
        batch_size: int = 1,
        **options: Any,
    ) -> IdempotentConsumer[UoW]:
        """Consume ``topic`` in the consumer group ``<service>.<name>``, once per event.

        With ``batch_size`` above 1, the records a poll returns (up to that many) are applied
        in one transaction and their offsets committed once (``handle_records``); a poll does
        not wait to fill a batch."""
        consumer = IdempotentConsumer(
            name=f"{self.settings.service_name}.{name}",
            topic=topic,
            handler=handler,
            unit_of_work=unit_of_work,
            producer=self.settings.service_name,
            dead_letter_topic=dead_letter_topic,
            metrics=self.consumer_metrics,
            on_tombstone=on_tombstone,
            **options,
        )
        if self.broker is None:
            self.broker = create_broker(self.settings)
        if batch_size > 1:
            batches = self.broker.subscriber(
                topic_name(self.settings, topic),
                group_id=group_id(self.settings, name),
                group_instance_id=group_instance_id(self.settings),
                ack_policy=AckPolicy.NACK_ON_ERROR,
                auto_offset_reset=auto_offset_reset,
                batch=True,
                max_records=batch_size,
                # How long an empty poll waits (and then pauses): a record arriving meanwhile
                # is read at once by the waiting poll, or after the pause at worst.
                batch_timeout_ms=BATCH_POLL_MS,
                title=f"{consumer.name} consumes {topic.name}",
                description=description or topic.description,
            )

            assert type(batches) is BatchSubscriber, "FastStream's batch subscriber (pinned)"
            batches.__class__ = _WaitingBatchSubscriber

            @batches
            async def handle_batch(message: KafkaMessage) -> None:
                records = message.raw_message
                assert isinstance(records, tuple)
                await consumer.handle_records(records)

            return consumer
        subscriber = self.broker.subscriber(
            topic_name(self.settings, topic),
            group_id=group_id(self.settings, name),
            group_instance_id=group_instance_id(self.settings),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset=auto_offset_reset,
            title=f"{consumer.name} consumes {topic.name}",
            description=description or topic.description,
        )

        @subscriber
        async def handle(message: KafkaMessage) -> None:
            record = message.raw_message
            assert not isinstance(record, tuple)
            lag = None
            try:
                highwater = message.consumer.highwater(_partition(record))  # type: ignore[attr-defined]
                lag = max(0, highwater - record.offset - 1) if highwater is not None else None
            except Exception:  # noqa: S110 - lag is informative only
                pass
            await consumer.handle_record(record, lag=lag)

        return consumer

    def add_background(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A long-running task started with the service and cancelled when it stops."""
        self._background.append((name, run))

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        if self.broker is not None:
            self._tasks.append(asyncio.create_task(self._start_broker(), name="kafka-consumers"))
        for name, run in self._background:
            self._tasks.append(asyncio.create_task(_forever(name, run), name=name))

    async def _start_broker(self) -> None:
        assert self.broker is not None
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.broker.start()
                self.broker_started = True
                logger.info("kafka consumers started")
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:
                delay = backoff.delay(attempt, base=1.0, cap=30.0)
                logger.warning(
                    "kafka consumers cannot start yet",
                    error=repr(error),
                    retry_in_seconds=round(delay, 2),
                )
                # A half-started broker may fail to stop: it is started again anyway.
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(delay)

    async def _database_answers(self) -> None:
        """``SELECT 1`` within ``READINESS_DATABASE_SECONDS``, on a connection of its own
        outside the pool: a pool exhausted or stuck on a frozen database must not hold the
        probe up (it once took 43 s to say "not ready"), nor the probe take a connection
        from requests. On any failure that connection is dropped without waiting for the
        server, and opened again at the next probe."""
        try:
            async with asyncio.timeout(READINESS_DATABASE_SECONDS), self._readiness_lock:
                if self._readiness_connection is None or self._readiness_connection.is_closed():
                    self._readiness_connection = await asyncpg.connect(
                        asyncpg_dsn(self.settings.database_url.get_secret_value()),
                        timeout=READINESS_DATABASE_SECONDS,
                        server_settings={
                            "application_name": f"{self.settings.service_name}-readiness"
                        },
                    )
                await self._readiness_connection.fetchval("SELECT 1")
        except BaseException:
            self._drop_readiness_connection()
            raise

    def _drop_readiness_connection(self) -> None:
        if self._readiness_connection is not None:
            self._readiness_connection.terminate()
            self._readiness_connection = None

    async def stop(self, *, timeout: float = 20.0) -> None:
        """Stop everything, each step bounded: a broker that does not answer must not keep a
        pod from terminating. Whatever was not committed is redelivered or republished."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, stuck = await asyncio.wait(self._tasks, timeout=timeout)
            for task in stuck:
                logger.warning("task did not stop in time, leaving it behind", task=task.get_name())
        self._tasks.clear()
        if self.broker is not None:
            # Also when it was still starting: its consumers may be half-way through joining.
            await _bounded("kafka consumers", self.broker.stop(), timeout)
            self.broker_started = False
        await _bounded("outbox producer", self.producer.stop(), timeout)
        self._drop_readiness_connection()
        await _bounded("database pool", self.engine.dispose(), timeout)

    async def readiness(self) -> dict[str, str]:
        """Each dependency: "ok" or why not. The database and Kafka are asked together, so
        that the answer comes within the longer of their bounds, not their sum."""
        checks: dict[str, str] = {}

        async def kafka_answers() -> None:
            async with asyncio.timeout(3.0):
                await self.producer.ping()

        outcomes = await asyncio.gather(
            self._database_answers(), kafka_answers(), return_exceptions=True
        )
        for name, outcome in zip(("database", "kafka"), outcomes, strict=True):
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
            checks[name] = (
                f"unavailable: {type(outcome).__name__}"
                if isinstance(outcome, BaseException)
                else "ok"
            )
        if self.broker is not None:
            checks["consumers"] = "ok" if self.broker_started else "starting"
        if self.revocations is not None:
            checks["revocations"] = self.revocations.status
        return checks


async def _bounded(what: str, stopping: Awaitable[None], timeout: float) -> None:
    try:
        await asyncio.wait_for(stopping, timeout)
    except TimeoutError:
        logger.warning("stop timed out, leaving it behind", part=what, timeout_seconds=timeout)
    except Exception as error:
        logger.warning("stop failed", part=what, error=repr(error))


def _partition(record: Any) -> Any:
    from aiokafka import TopicPartition

    return TopicPartition(record.topic, record.partition)


async def _forever(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Restart a background task that crashed, after a pause, rather than lose it."""
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("background task crashed, restarting", task=name)
            await asyncio.sleep(1.0)
