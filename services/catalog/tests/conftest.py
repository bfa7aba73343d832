"""Fixtures of the catalog's tests: a database of the test's own, the app in process, tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

import catalog
from catalog.adapters.reference_file import read_reference
from catalog.config import Settings
from catalog.domain import commands
from catalog.domain.model import Version
from catalog.main import create_app
from catalog.service_layer import handlers
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.db import create_engine, session_factory
from servicekit.migrations import upgrade_async
from servicekit.testing import TokenMinter, fresh_database

MIGRATIONS = Path(catalog.__file__).parent / "migrations"
PUBLIC_BASE_URL = "http://localhost:8080"


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
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
    ) as http:
        yield http


class Tokens:
    """Access tokens for each kind of caller, as auth would issue them."""

    def __init__(self, minter: TokenMinter) -> None:
        self.minter = minter
        self.admin_id = uuid.uuid4()

    def member(self, fund: str = "NPC") -> str:
        return self.minter.mint(kind="member", fund=fund)

    def agent(self, role: str = "agent", fund: str = "NPC", **claims: Any) -> str:
        subject = self.admin_id if role == "admin" else uuid.uuid4()
        return self.minter.mint(
            kind="agent", role=role, fund=fund, subject=subject, skills=["famille"], **claims
        )

    def admin(self, **claims: Any) -> str:
        return self.agent("admin", **claims)

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def as_admin(self) -> dict[str, str]:
        return self.bearer(self.admin())


@pytest.fixture(scope="session")
def tokens(minter: TokenMinter) -> Tokens:
    return Tokens(minter)


async def load_reference_into(database_url: str) -> Version | None:
    """What ``python -m catalog load-reference`` does, in process."""
    engine = create_engine(Settings(database_url=SecretStr(database_url)))
    try:
        uow = CatalogUnitOfWork(session_factory(engine), producer="catalog")
        return await handlers.load_reference(
            commands.LoadReference(catalog=read_reference()),
            uow=uow,
            clock=lambda: datetime.now(UTC),
        )
    finally:
        await engine.dispose()


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
