"""Sessions ended before their time, as every service must know them.

The auth service publishes each revoked session on the compacted ``auth.revocations.v1``
(logout, password changed or reset, account deleted, agent deactivated or changed). A service
reads that topic from the beginning when it starts, without a consumer group (each replica
needs every record, and a restart must read them all again), keeps the session ids whose
tokens may still be alive, and follows the topic live. The token verifier refuses a token
whose ``sid`` is in the list: within about a second of a logout, no API opens for that token.

Readiness stays false until the replica has read up to the end offsets it found at start:
a replica that has not caught up could let a revoked token through.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts import TopicSpec, UndecodableEvent, decode
from contracts.events.security import SessionRevoked
from contracts.topics import SESSION_REVOCATIONS
from servicekit.clock import Clock, SystemClock
from servicekit.kafka import client_options, topic_name
from servicekit.logging import get_logger
from servicekit.settings import ServiceSettings

logger = get_logger(__name__)


class RevocationList:
    """The revoked sessions whose tokens have not expired yet, fed by the revocations topic."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        topic: TopicSpec = SESSION_REVOCATIONS,
    ) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()
        self._topic = topic
        #: session id → the moment after which none of its tokens is valid any more.
        self._revoked: dict[str, datetime] = {}
        self.caught_up = False
        self.status = "starting"

    def __len__(self) -> int:
        return len(self._revoked)

    def is_revoked(self, session_id: object) -> bool:
        if not isinstance(session_id, str):
            return False
        until = self._revoked.get(session_id)
        return until is not None and until > self._clock.now()

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """One record of the topic: a revocation, or a tombstone (the tokens have expired)."""
        if value is None:
            if key is not None:
                self._revoked.pop(key.decode(errors="replace"), None)
            return
        try:
            event = decode(self._topic, value)
        except UndecodableEvent as error:
            # Nothing to refuse in a record no one can read; the producer's tests guard it.
            logger.warning("revocation record ignored", reason=str(error))
            return
        if not isinstance(event, SessionRevoked):
            return
        session_id = str(event.session_id)
        if event.tokens_expire_by > self._clock.now():
            self._revoked[session_id] = event.tokens_expire_by
        else:
            self._revoked.pop(session_id, None)

    def forget_expired(self) -> None:
        now = self._clock.now()
        for session_id in [sid for sid, until in self._revoked.items() if until <= now]:
            del self._revoked[session_id]

    async def run(self) -> None:
        """Read the topic from its beginning, then follow it; raises on a lost connection
        (the runtime starts it again, and readiness is false meanwhile)."""
        self.caught_up = False
        self.status = "connecting"
        name = topic_name(self._settings, self._topic)
        # No consumer group: every partition is this replica's, read from the beginning
        # (auto_offset_reset) each time it starts.
        consumer = AIOKafkaConsumer(
            name,
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            client_id=f"{self._settings.service_name}-revocations",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=200,
            request_timeout_ms=self._settings.kafka_request_timeout_ms,
            **client_options(self._settings),
        )
        try:
            await consumer.start()
            partitions = await self._assigned(consumer, name)
            end = await consumer.end_offsets(partitions)
            self.status = "catching up"
            last_pruned = self._clock.now()
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batches.values():
                    for record in records:
                        self.apply(record.key, record.value)
                if not self.caught_up and await self._reached(consumer, end):
                    self.caught_up = True
                    self.status = "ok"
                    logger.info("revoked sessions read", sessions=len(self._revoked))
                if (self._clock.now() - last_pruned).total_seconds() > 60:
                    self.forget_expired()
                    last_pruned = self._clock.now()
        finally:
            self.caught_up = False
            self.status = "reconnecting"
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 5)

    async def _assigned(self, consumer: AIOKafkaConsumer, name: str) -> list[TopicPartition]:
        """The topic's partitions, once the consumer knows them (the topic may not exist yet:
        a service may start before the topics are made)."""
        attempt = 0
        while not (assigned := consumer.assignment()):
            attempt += 1
            self.status = f"waiting for topic {name}"
            if attempt == 20:
                logger.warning("revocations topic not found yet", topic=name)
            await asyncio.sleep(min(2.0, 0.05 * attempt))
        return sorted(assigned)

    @staticmethod
    async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
        for partition, offset in end.items():
            if await consumer.position(partition) < offset:
                return False
        return True


def expiry(revoked_at: datetime, *, token_seconds: float, leeway_seconds: float = 60.0) -> datetime:
    """When the last token of a session revoked at ``revoked_at`` stops being valid."""
    return revoked_at.astimezone(UTC) + timedelta(seconds=token_seconds + leeway_seconds)
