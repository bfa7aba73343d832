"""Fixtures of the catalog's tests: a database of the test's own, the app in process, tokens.
Helpers they use live in ``support.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from catalog.config import Settings
from catalog.domain.versions import Version
from catalog.main import create_app
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, TokenMinter, fresh_database
from services.catalog.tests.support import (
    MIGRATIONS,
    PUBLIC_BASE_URL,
    Tokens,
    load_reference_into,
)


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "catalog_test") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


@pytest.fixture
def settings(
    database_url: str,
    jwks_url: str,
    minter: TokenMinter,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
) -> Settings:
    return Settings(
        environment="test",
        database_url=SecretStr(database_url),
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_topic_prefix=kafka_topic_prefix,
        kafka_group_prefix=kafka_topic_prefix,
        auth_jwks_url=jwks_url,
        auth_issuer=minter.issuer,
        public_base_url=PUBLIC_BASE_URL,
        outbox_poll_interval_seconds=0.5,
        log_format="console",
    )


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def app(settings: Settings, clock: MovableClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
    ) as http:
        yield http


@pytest.fixture(scope="session")
def tokens(minter: TokenMinter) -> Tokens:
    return Tokens(minter)


@pytest.fixture
async def reference_published(database_url: str) -> Version:
    """The reference catalog, published as version 1."""
    version = await load_reference_into(database_url)
    assert version is not None
    return version


@pytest.fixture(scope="session")
def kafka_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    """Topics of this service's tests alone (another service's tests publish in the same session)."""
    return new_topic_prefix("catalog")
