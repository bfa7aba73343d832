"""Kafka plumbing: the idempotent producer the relay uses, the consumers' broker, topics."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

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


_SASL_MECHANISMS: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    "PLAIN": SASLPlaintext,
    "SCRAM-SHA-256": SASLScram256,
    "SCRAM-SHA-512": SASLScram512,
}


@dataclass(frozen=True)
class KafkaSecurity:
    """How a service reaches Kafka (TLS, SASL), read once from the settings; the one place
    that knows them. aiokafka's clients and FastStream's broker take it in their own forms."""

    protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
    #: Verifies the brokers' certificates; None without TLS.
    ssl_context: ssl.SSLContext | None = None
    #: None without SASL.
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> KafkaSecurity:
        protocol = settings.kafka_security_protocol
        sasl = protocol.startswith("SASL")
        return cls(
            protocol=protocol,
            ssl_context=(
                create_ssl_context(cafile=settings.kafka_ssl_cafile or None)
                if protocol in ("SSL", "SASL_SSL")
                else None
            ),
            sasl_mechanism=settings.kafka_sasl_mechanism if sasl else None,
            sasl_username=settings.kafka_sasl_username if sasl else "",
            sasl_password=settings.kafka_sasl_password.get_secret_value() if sasl else "",
        )

    def client_options(self) -> dict[str, Any]:
        """As aiokafka's producers, consumers and admin client take it (keyword arguments)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.ssl_context is not None:
            options["ssl_context"] = self.ssl_context
        if self.sasl_mechanism is not None:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return options

    def broker_security(self) -> BaseSecurity | None:
        """As FastStream's broker takes it; None for plain Kafka."""
        if self.sasl_mechanism is not None:
            return _SASL_MECHANISMS[self.sasl_mechanism](
                username=self.sasl_username,
                password=self.sasl_password,
                ssl_context=self.ssl_context,
                use_ssl=self.ssl_context is not None,
            )
        if self.ssl_context is not None:
            return BaseSecurity(ssl_context=self.ssl_context, use_ssl=True)
        return None


#: How long aiokafka's loops (metadata, fetcher, group coordinator, heartbeat, producer's
#: sender) wait before trying a broker again after a failure. aiokafka's 100 ms made the
#: notifier, with its several consumer groups, try about 240 connections a second while
#: Kafka was away; at 1 s about 25, and a loop notices the cluster's return within a second (the
#: drain after an outage is bounded by 15 s).
RETRY_BACKOFF_MS = 1000


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """aiokafka keyword arguments every client of the service takes: TLS and SASL from the
    settings, and the pause before trying a broker again (``RETRY_BACKOFF_MS``)."""
    return KafkaSecurity.from_settings(settings).client_options() | {
        "retry_backoff_ms": RETRY_BACKOFF_MS
    }


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """TLS and SASL, as FastStream's broker takes them (``create_broker`` gives it the
    backoff)."""
    return KafkaSecurity.from_settings(settings).broker_security()


def group_instance_id(settings: ServiceSettings) -> str | None:
    """The name every consumer of this instance gives in its group, or None.

    With ``KAFKA_GROUP_INSTANCE_ID`` set (static membership, KIP-345), a process killed
    and started again under the same name takes its partitions back at once, instead of
    waiting for its dead predecessor's session (10 s) to expire before the group
    rebalances. The name must be unique among the running instances of the service (a
    pod's name in a StatefulSet, a container that restarts in place); a second live
    instance under the same name is fenced by the broker. A static member does not leave
    its group when it stops: an instance that does not come back has its partitions handed
    to the others after the session timeout."""
    return settings.kafka_group_instance_id or None


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
        retry_backoff_ms=RETRY_BACKOFF_MS,
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
