"""What the notifier's tests share: event factories and the notifier running in-process.

A module of its own (not ``conftest``) so that test modules can import it; ``conftest``
puts this folder on the import path.
"""

from __future__ import annotations

import asyncio
import email.policy
import secrets
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiosmtpd.smtp import SMTP
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts import Event, TopicSpec, decode, topic_for
from contracts.events.auth import (
    AccountLocked,
    ActivationCodeIssued,
    EmailChangeCodeIssued,
    MemberContactChanged,
    PasswordResetRequested,
)
from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted, ReplyPosted
from contracts.topics import (
    ACCOUNT_NOTIFICATION,
    MEMBER_CONTACT,
    MESSAGE_SUBMITTED,
    NOTIFIER_DEAD_LETTER,
    POSTAL_LETTER,
    REPLY_POSTED,
    SESSION_REVOCATIONS,
    THREAD_ACTIVITY,
)
from notifier.adapters.orm import CONTACTS, DELIVERIES
from notifier.config import Settings
from notifier.main import create_app
from notifier.service_layer.delivery import AcceptedHook
from servicekit.consumer import PROCESSED_EVENTS
from servicekit.testing import TokenMinter, eventually, free_port

MIGRATIONS = Path(__file__).resolve().parents[1] / "src" / "notifier" / "migrations"
NOTIFIER_TOPICS = (
    MEMBER_CONTACT,
    ACCOUNT_NOTIFICATION,
    MESSAGE_SUBMITTED,
    REPLY_POSTED,
    NOTIFIER_DEAD_LETTER,
    POSTAL_LETTER,
    SESSION_REVOCATIONS,
    THREAD_ACTIVITY,
)

THEME = CatalogNode(code="famille", label="Famille, Allocations familiales, aides au logement")
SUBJECT = CatalogNode(code="allocations-familiales", label="Allocations familiales")
MOTIF = CatalogNode(code="changement-situation", label="Mon changement de situation")


# --------------------------------------------------------------------------- events


def unique_email(name: str = "adherent") -> str:
    return f"{name}.{secrets.token_hex(4)}@example.fr"


def contact_changed(
    member_id: uuid.UUID,
    email: str,
    *,
    given_name: str = "Camille",
    family_name: str = "MARTIN",
    fund: str = "NPC",
) -> MemberContactChanged:
    return MemberContactChanged.new(
        producer="auth",
        member_id=member_id,
        fund=fund,
        email=email,
        given_name=given_name,
        family_name=family_name,
    )


def message_submitted(
    member_id: uuid.UUID,
    *,
    thread_id: uuid.UUID | None = None,
    follow_up: bool = False,
    fund: str = "NPC",
    motif: CatalogNode = MOTIF,
    number: int = 123,
) -> MessageSubmitted:
    return MessageSubmitted.new(
        producer="messages",
        thread_id=thread_id or uuid.uuid4(),
        message_id=uuid.uuid4(),
        reference=f"{fund}-2026-{number:06d}",
        member_id=member_id,
        fund=fund,
        theme=THEME,
        subject=SUBJECT,
        motif=motif,
        submitted_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC),
        due_date=date(2026, 12, 10),
        follow_up=follow_up,
    )


def reply_posted(
    member_id: uuid.UUID,
    *,
    thread_id: uuid.UUID | None = None,
    fund: str = "NPC",
    number: int = 123,
) -> ReplyPosted:
    return ReplyPosted.new(
        producer="messages",
        thread_id=thread_id or uuid.uuid4(),
        reply_id=uuid.uuid4(),
        reference=f"{fund}-2026-{number:06d}",
        member_id=member_id,
        fund=fund,
        theme=THEME,
        subject=SUBJECT,
        motif=MOTIF,
        posted_at=datetime(2026, 12, 4, 15, 5, tzinfo=UTC),
    )


def account_events(member_id: uuid.UUID, email: str, *, given_name: str = "Camille") -> list[Event]:
    expires = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    common: dict[str, Any] = {
        "producer": "auth",
        "member_id": member_id,
        "fund": "NPC",
        "email": email,
        "given_name": given_name,
    }
    return [
        ActivationCodeIssued.new(code="482913", expires_at=expires, **common),
        PasswordResetRequested.new(reset_token="jeton-de-test-0123", expires_at=expires, **common),
        AccountLocked.new(locked_until=expires, **common),
        EmailChangeCodeIssued.new(code="730114", expires_at=expires, **common),
    ]


def notifier_settings(
    database_url: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    jwks_url: str,
    issuer: str,
    **overrides: Any,
) -> Settings:
    """The notifier's settings in tests: quick polls and retries, topics and consumer groups
    under ``topic_prefix``."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": SecretStr(database_url),
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_topic_prefix": topic_prefix,
        "kafka_group_prefix": topic_prefix,
        "auth_jwks_url": jwks_url,
        "auth_issuer": issuer,
        "log_format": "console",
        "outbox_poll_interval_seconds": 0.2,
        "delivery_poll_interval_seconds": 0.2,
        "retry_base_seconds": 0.2,
        "retry_cap_seconds": 1.0,
        "shutdown_grace_seconds": 2.0,
        "smtp_timeout": 5.0,
        "smtp_pool_size": 2,
    } | overrides
    return Settings(**values)


class Notifier:
    """The notifier service running in-process, and what a test does around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        minter: TokenMinter,
        producer: AIOKafkaProducer,
        engine: AsyncEngine,
    ) -> None:
        self.settings = settings
        self.minter = minter
        self.producer = producer
        self.engine = engine
        self._stack: AsyncExitStack | None = None
        self.client: httpx.AsyncClient

    async def start(
        self, *, after_accepted: AcceptedHook | None = None, **overrides: Any
    ) -> Notifier:
        if overrides:
            self.settings = self.settings.model_copy(update=overrides)
        app = create_app(self.settings, after_accepted=after_accepted)
        stack = AsyncExitStack()
        manager = await stack.enter_async_context(
            LifespanManager(app, startup_timeout=60, shutdown_timeout=60)
        )
        self.client = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url="http://notifier"
            )
        )
        self._stack = stack
        return self

    async def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    # --- events in

    async def publish(self, *events: Event, topic: TopicSpec | None = None) -> None:
        for event in events:
            spec = topic or topic_for(type(event))
            await self.publish_raw(spec, spec.key_for(event), event.to_json())

    async def publish_raw(self, topic: TopicSpec, key: str, value: bytes | None) -> None:
        await self.producer.send_and_wait(
            self.settings.kafka_topic_prefix + topic.name, value, key=key.encode()
        )

    # --- what happened

    async def delivery_rows(self, event_id: uuid.UUID) -> list[dict[str, Any]]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(DELIVERIES).where(DELIVERIES.c.event_id == event_id)
            )
            return [dict(row) for row in rows.mappings()]

    async def contact(self, member_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.engine.connect() as connection:
            query = select(CONTACTS).where(CONTACTS.c.member_id == member_id)
            row = (await connection.execute(query)).mappings().first()
            return dict(row) if row else None

    async def wait_processed(self, *event_ids: uuid.UUID, timeout: float = 30.0) -> None:
        """Until a consumer of the notifier has handled each of ``event_ids``."""

        async def handled() -> bool:
            async with self.engine.connect() as connection:
                found = set(
                    await connection.scalars(
                        select(PROCESSED_EVENTS.c.event_id).where(
                            PROCESSED_EVENTS.c.event_id.in_(event_ids)
                        )
                    )
                )
            return found == set(event_ids)

        await eventually(handled, timeout=timeout, message=f"events {event_ids} handled")

    async def outcomes(self, *event_ids: uuid.UUID) -> dict[uuid.UUID, str]:
        """How the notifier's consumers ended each of ``event_ids`` they handled ("done",
        "dead-lettered")."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(PROCESSED_EVENTS.c.event_id, PROCESSED_EVENTS.c.outcome).where(
                    PROCESSED_EVENTS.c.event_id.in_(event_ids)
                )
            )
            return {row.event_id: row.outcome for row in rows}

    async def wait_for_status(
        self, event_id: uuid.UUID, *statuses: str, timeout: float = 30.0
    ) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            rows = await self.delivery_rows(event_id)
            return rows[0] if rows and rows[0]["status"] in statuses else None

        return await eventually(
            reached, timeout=timeout, message=f"delivery of {event_id} not {statuses}"
        )

    async def wait_until(
        self, check: Callable[[dict[str, Any]], bool], event_id: uuid.UUID, timeout: float = 30.0
    ) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            rows = await self.delivery_rows(event_id)
            return rows[0] if rows and check(rows[0]) else None

        return await eventually(reached, timeout=timeout, message=f"delivery of {event_id}")

    async def dead_letters(self, *, timeout: float = 30.0, count: int = 1) -> list[Event]:
        """Read the dead-letter topic from the start until ``count`` events are there."""
        topic = self.settings.kafka_topic_prefix + NOTIFIER_DEAD_LETTER.name
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(NOTIFIER_DEAD_LETTER.partitions)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            found: list[Event] = []

            async def enough() -> bool:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    found.extend(decode(NOTIFIER_DEAD_LETTER, r.value) for r in records if r.value)
                return len(found) >= count

            await eventually(enough, timeout=timeout, message="dead letters")
            return found
        finally:
            await consumer.stop()

    # --- tokens

    def headers(
        self, *, kind: str = "agent", role: str | None = "agent", fund: str = "NPC"
    ) -> dict[str, str]:
        token = self.minter.mint(
            kind=kind, role=role if kind == "agent" else None, fund=fund, api="notifier"
        )
        return {"Authorization": f"Bearer {token}"}


NotifierFactory = Callable[..., Awaitable[Notifier]]


# --------------------------------------------------------------------------- an SMTP server to stop


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a fixed port that a test can stop and start again;
    stopping it also drops the connections the notifier holds open."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        #: Reply to ``RCPT TO`` per address (``{address}`` is replaced by it), as a real
        #: server refuses: Postfix quotes the address it refuses.
        self.refusals: dict[str, str] = {}
        self._server: asyncio.Server | None = None
        self._sessions: set[_TrackedSession] = set()

    async def start(self) -> SmtpSink:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _TrackedSession(self), "127.0.0.1", self.port, reuse_address=True
        )
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await self._server.wait_closed()
        self._server = None

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]).strip() for message in self.messages]

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self.refusals.get(address)
        if refusal is not None:
            return refusal.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.original_content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 OK"


class _TrackedSession(SMTP):
    def __init__(self, sink: SmtpSink) -> None:
        super().__init__(sink, hostname="sink.localhost", decode_data=False)
        self._sink = sink

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._sink._sessions.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._sink._sessions.discard(self)
        super().connection_lost(error)
