"""Fixtures of the messages service's tests: a migrated database, the app in process,
access tokens, and a catalog snapshot published on this session's own topics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from contracts.events.catalog import CatalogPublished
from messages.main import create_app
from servicekit.migrations import upgrade_async
from servicekit.testing import MovableClock, TokenMinter, eventually, fresh_database
from services.messages.tests.support import (
    MIGRATIONS,
    Directory,
    People,
    catalog_snapshot,
    publish_catalog,
    service_settings,
)


@pytest.fixture(scope="session")
def people(minter: TokenMinter) -> People:
    return People(minter)


@pytest.fixture(scope="session")
async def messages_database(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_admin_url, "messages_test") as url:
        await upgrade_async(url, MIGRATIONS)
        yield url


@pytest.fixture(scope="session")
async def published_catalog(kafka_bootstrap: str, kafka_topic_prefix: str) -> CatalogPublished:
    snapshot = catalog_snapshot(version=1)
    await publish_catalog(kafka_bootstrap, kafka_topic_prefix, snapshot)
    return snapshot


@pytest.fixture(scope="session")
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="session")
async def app(
    messages_database: str,
    kafka_bootstrap: str,
    kafka_topic_prefix: str,
    jwks_url: str,
    published_catalog: CatalogPublished,
    clock: MovableClock,
) -> AsyncIterator[FastAPI]:
    application = create_app(
        service_settings(messages_database, kafka_bootstrap, kafka_topic_prefix, jwks_url),
        clock=clock,
    )
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):

        async def catalog_loaded() -> bool:
            return application.state.catalog.version == published_catalog.version

        await eventually(catalog_loaded, timeout=60, message="catalog snapshot not loaded")
        yield application


@pytest.fixture
def directory(
    app: FastAPI, messages_database: str, kafka_bootstrap: str, kafka_topic_prefix: str
) -> Directory:
    """Agents listed by the directory (the app runs: its consumer keeps it)."""
    return Directory(messages_database, kafka_bootstrap, kafka_topic_prefix)


@pytest.fixture
async def client(app: FastAPI, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    clock.offset = timedelta()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://messages.test"
    ) as http:
        yield http
    clock.offset = timedelta()


@pytest.fixture(scope="session")
def kafka_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    """Topics of this service's tests alone (another service's tests publish in the same session)."""
    return new_topic_prefix("messages")
