"""Fixtures of the auth service's tests: its own database, Kafka topics, the app in-process.

Helpers the tests import live in ``services.auth.tests.support``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from pydantic import SecretStr

from auth.config import Settings
from contracts.topics import ACCOUNT_NOTIFICATION, MEMBER_CONTACT, POSTAL_LETTER, SECURITY_TRAIL
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, fresh_database
from services.auth.tests.support import (
    MIGRATIONS,
    AuthApp,
    EventLog,
    running_app,
    seed_demo_accounts,
)


@pytest.fixture(scope="session")
async def auth_database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "auth_test") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


@pytest.fixture(scope="session")
def base_settings(
    auth_database_url: str, kafka_bootstrap: str, kafka_topic_prefix: str, oidc_issuer: str
) -> Settings:
    return Settings(
        environment="test",
        database_url=SecretStr(auth_database_url),
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=kafka_topic_prefix,
        kafka_group_prefix=kafka_topic_prefix,
        franceconnect_issuer=oidc_issuer,
        outbox_poll_interval_seconds=0.2,
        # Cheaper hashing keeps the suite quick; the algorithm (argon2id) is the same.
        argon2_time_cost=1,
        argon2_memory_kib=8 * 1024,
        argon2_parallelism=1,
        # Registrations wait less for their answer (the timing test measures it anyway).
        registration_answer_seconds=0.1,
        log_format="console",
        log_level="WARNING",
    )


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def auth_app(
    base_settings: Settings, clock: MovableClock, events: EventLog
) -> AsyncIterator[AuthApp]:
    async with running_app(base_settings, clock, events=events) as running:
        yield running


@pytest.fixture
async def seeded(auth_app: AuthApp) -> AuthApp:
    """The app, with the demo accounts of the local environment."""
    await seed_demo_accounts(auth_app)
    return auth_app


@pytest.fixture(scope="session")
async def events(kafka_bootstrap: str, kafka_topic_prefix: str) -> AsyncIterator[EventLog]:
    log = EventLog(
        kafka_bootstrap,
        kafka_topic_prefix,
        [ACCOUNT_NOTIFICATION, MEMBER_CONTACT, POSTAL_LETTER, SECURITY_TRAIL],
    )
    await log.start()
    yield log
    await log.stop()


@pytest.fixture(scope="session")
def kafka_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    """Topics of this service's tests alone (another service's tests publish in the same session)."""
    return new_topic_prefix("auth")
