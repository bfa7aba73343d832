"""Kafka plumbing: the idempotent producer the relay uses, the consumers' broker, topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from contracts import TopicSpec
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings

logger = get_logger(__name__)


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for TLS and SASL, from the settings."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile or None)
    if protocol.startswith("SASL"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": settings.kafka_sasl_password.get_secret_value(),
        }
    return options


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """The same, as FastStream's broker takes it."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = (
        create_ssl_context(cafile=settings.kafka_ssl_cafile or None)
        if protocol in ("SSL", "SASL_SSL")
        else None
    )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    mechanism = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }[settings.kafka_sasl_mechanism]
    return mechanism(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.get_secret_value(),
        ssl_context=ssl_context,
        use_ssl=protocol == "SASL_SSL",
    )


def topic_name(settings: ServiceSettings, topic: TopicSpec) -> str:
    return settings.kafka_topic_prefix + topic.name


def group_id(settings: ServiceSettings, consumer: str) -> str:
    return f"{settings.kafka_group_prefix}{settings.service_name}.{consumer}"


class RelayProducer:
    """An idempotent producer (acks=all) that (re)connects on demand, for the outbox relay."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _ensure(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._settings.kafka_bootstrap_servers,
                    client_id=f"{self._settings.service_name}-outbox",
                    enable_idempotence=True,
                    acks="all",
                    linger_ms=2,
                    request_timeout_ms=self._settings.kafka_request_timeout_ms,
                    max_request_size=4 * 1024 * 1024,
                    **client_options(self._settings),
                )
                try:
                    await producer.start()
                except BaseException:
                    # Bounded: stopping a producer that never connected must not hold up a
                    # service that is shutting down.
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(producer.stop(), 2)
                    raise
                self._producer = producer
            return self._producer

    async def send(
        self, topic: str, key: bytes, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        producer = await self._ensure()
        try:
            acknowledgement: Awaitable[Any] = await producer.send(
                topic, value=value, key=key, headers=headers
            )
            return acknowledgement
        except Exception:
            await self.reset()
            raise

    async def reset(self) -> None:
        """Drop the connection after a failure; the next send reconnects."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def ping(self) -> None:
        """Raise unless the cluster answers a metadata request."""
        producer = await self._ensure()
        if not await producer.client.fetch_all_metadata():
            raise ConnectionError("no metadata from the cluster")

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def stop(self) -> None:
        await self.reset()


def create_broker(settings: ServiceSettings) -> KafkaBroker:
    """The FastStream broker the service's subscribers run on."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        graceful_timeout=10.0,
        logger=None,
        security=broker_security(settings),
    )


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[TopicSpec],
    *,
    prefix: str = "",
    replication: int = 1,
    **options: Any,
) -> list[str]:
    """Create the topics that do not exist yet, with their partitions and configuration.

    ``options`` are aiokafka client options (see ``client_options``)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="topic-setup", **options
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                prefix + topic.name,
                num_partitions=topic.partitions,
                replication_factor=replication,
                topic_configs=topic.config(),
            )
            for topic in topics
            if prefix + topic.name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        await admin.close()
