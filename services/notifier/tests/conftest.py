"""Fixtures of the notifier's tests: its own database and topics per test, the notifier
running in-process on the real broker, PostgreSQL and an SMTP server, and access tokens."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.mailpit import MailpitClient
from devstack.pytest_plugin import RunningMailpit
from servicekit.kafka import ensure_topics
from servicekit.migrations import upgrade_async
from servicekit.testing import TokenMinter, fresh_database
from services.notifier.tests.support import (
    MIGRATIONS,
    NOTIFIER_TOPICS,
    Notifier,
    NotifierFactory,
    notifier_settings,
)

# --------------------------------------------------------------------------- session fixtures


@pytest.fixture(scope="session")
async def kafka_producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    yield producer
    await producer.stop()


# --------------------------------------------------------------------------- per test


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "notifier_test") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


@pytest.fixture
async def topic_prefix(kafka_bootstrap: str, kafka_topic_prefix: str) -> str:
    """Topics of this test's own: a restarted notifier, or the next test, sees only its events."""
    prefix = f"{kafka_topic_prefix}{secrets.token_hex(3)}."
    await ensure_topics(kafka_bootstrap, NOTIFIER_TOPICS, prefix=prefix)
    return prefix


@pytest.fixture
async def notifier_factory(
    database_url: str,
    topic_prefix: str,
    kafka_bootstrap: str,
    kafka_producer: AIOKafkaProducer,
    minter: TokenMinter,
    jwks_url: str,
) -> AsyncIterator[NotifierFactory]:
    """Builds (not yet started) notifiers on this test's database and topics; stops them all
    at the end."""
    engine = create_async_engine(database_url, pool_size=2)
    created: list[Notifier] = []

    async def build(**overrides: Any) -> Notifier:
        settings = notifier_settings(
            database_url, kafka_bootstrap, topic_prefix, jwks_url, minter.issuer, **overrides
        )
        notifier = Notifier(settings, minter=minter, producer=kafka_producer, engine=engine)
        created.append(notifier)
        return notifier

    yield build
    for notifier in created:
        await notifier.stop()
    await engine.dispose()


@pytest.fixture
async def mailbox_client(mailbox: RunningMailpit) -> AsyncIterator[MailpitClient]:
    """Reads what the session's Mailpit received (each test writes to addresses of its own)."""
    async with MailpitClient(mailbox.base_url) as client:
        yield client


@pytest.fixture
def smtp_to_mailbox(mailbox: RunningMailpit) -> dict[str, Any]:
    """Settings overrides that send to the session's Mailpit."""
    return {"smtp_host": mailbox.smtp_host, "smtp_port": mailbox.smtp_port}


@pytest.fixture(scope="session")
def kafka_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    """Topics of this service's tests alone (another service's tests publish in the same session)."""
    return new_topic_prefix("notifier")
