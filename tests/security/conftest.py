"""The four services, each on a real HTTP port, against real Kafka and PostgreSQL: what the
security suites (the authorization matrix, revocation) attack.

Each service gets a fresh database of its own and this session's own topics; the messages,
notifier and catalog services verify tokens against the auth service's JWKS over HTTP and
follow its revocations topic, exactly as deployed. The demo accounts are seeded in auth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from servicekit.migrations import upgrade_async
from servicekit.testing import eventually, free_port, fresh_database

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "catalog", "messages", "notifier")
ISSUER = "http://localhost:8080/api/auth"
ORIGIN = "http://localhost:8080"

DEMO_MEMBER = {"nir": "2951099126111", "password": "Bleuet-Colza-2026"}  # Camille, NPC
OTHER_MEMBER = {"nir": "1800359350123", "password": "Betterave-Lin-2026"}  # Paul, NPC
AGENTS = {
    "agent": {"email": "agent.npc@msa.example", "password": "Conseil-Nord-2026"},
    "supervisor": {"email": "superviseur.npc@msa.example", "password": "Pilote-Nord-2026"},
    "other_fund_agent": {"email": "agent.cno@msa.example", "password": "Conseil-Manche-2026"},
    "admin": {"email": "admin@msa.example", "password": "Gouverne-Reseau-2026"},
}


@dataclass
class RunningService:
    name: str
    app: FastAPI
    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]


@dataclass
class Product:
    services: dict[str, RunningService] = field(default_factory=dict)
    #: Each service's routes, as its OpenAPI document lists them (method, path).
    routes: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10.0))
    kafka_bootstrap: str = ""
    topic_prefix: str = ""

    def url(self, service: str, path: str) -> str:
        return self.services[service].url + path

    async def log_in_member(self, who: dict[str, str] = DEMO_MEMBER) -> dict[str, Any]:
        """A member's session as a tool holds it: ``access_tokens`` (one per API),
        ``refresh_token``."""
        response = await self.http.post(
            self.url("auth", "/session"),
            json={**who, "bearer": True},
            headers={"X-Forwarded-For": _fresh_address()},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def log_in_agent(
        self, role: str = "", *, email: str = "", password: str = ""
    ) -> dict[str, Any]:
        credentials = AGENTS[role] if role else {"email": email, "password": password}
        response = await self.http.post(
            self.url("auth", "/agents/session"),
            json={**credentials, "bearer": True},
            headers={"X-Forwarded-For": _fresh_address()},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def create_agent(
        self, manager: dict[str, str], password: str, **fields: Any
    ) -> dict[str, Any]:
        """An agent created by ``manager`` (``POST /agents``, never with a password), who
        then chooses ``password`` with the link they were sent, as the notifier reads it."""
        created = await self.http.post(self.url("auth", "/agents"), json=fields, headers=manager)
        assert created.status_code == 201, created.text
        agent: dict[str, Any] = created.json()
        token = await self._reset_token_sent_to(agent["id"])
        chosen = await self.http.post(
            self.url("auth", "/agents/password/reset"),
            json={"token": token, "password": password},
            headers={"Origin": ORIGIN},
        )
        assert chosen.status_code == 204, chosen.text
        return agent

    async def _reset_token_sent_to(self, agent_id: str) -> str:
        from aiokafka import AIOKafkaConsumer

        from contracts.topics import ACCOUNT_NOTIFICATION

        consumer = AIOKafkaConsumer(
            self.topic_prefix + ACCOUNT_NOTIFICATION.name,
            bootstrap_servers=self.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                async for record in consumer:
                    event = json.loads(record.value) if record.value else {}
                    if (
                        event.get("event_type") == "AgentPasswordResetRequested"
                        and event.get("agent_id") == agent_id
                    ):
                        return str(event["reset_token"])
        finally:
            await consumer.stop()
        raise AssertionError(f"no link was sent to agent {agent_id}")


_addresses = iter(range(1, 1 << 24))


def _fresh_address() -> str:
    """One client address per login, so the per-address throttle never slows the suite."""
    number = next(_addresses)
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def bearer(session: dict[str, Any], api: str = "auth") -> dict[str, str]:
    """The header of a tool's session for one API: each API accepts only its own token."""
    return {"Authorization": f"Bearer {session['access_tokens'][api]}"}


def _settings(name: str, database_url: str, bootstrap: str, prefix: str, jwks: str) -> Any:
    common: dict[str, Any] = {
        "environment": "test",
        "database_url": SecretStr(database_url),
        "kafka_bootstrap_servers": bootstrap,
        "kafka_topic_prefix": prefix,
        "kafka_group_prefix": prefix,
        "auth_jwks_url": jwks,
        "auth_issuer": ISSUER,
        "public_base_url": ORIGIN,
        "outbox_poll_interval_seconds": 0.2,
        "log_format": "console",
        "log_level": "WARNING",
    }
    if name == "auth":
        from auth.config import Settings as AuthSettings

        return AuthSettings(
            **common,
            argon2_time_cost=1,
            argon2_memory_kib=8 * 1024,
            argon2_parallelism=1,
        )
    if name == "catalog":
        from catalog.config import Settings as CatalogSettings

        return CatalogSettings(**common)
    if name == "messages":
        from messages.config import Settings as MessagesSettings

        return MessagesSettings(**common)
    from notifier.config import Settings as NotifierSettings

    return NotifierSettings(**common)


def _create_app(name: str, settings: Any) -> FastAPI:
    create: Callable[..., FastAPI]
    if name == "auth":
        from auth.main import create_app as create
    elif name == "catalog":
        from catalog.main import create_app as create
    elif name == "messages":
        from messages.main import create_app as create
    else:
        from notifier.main import create_app as create
    return create(settings)


async def _serve(name: str, app: FastAPI) -> RunningService:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            # Longer than the client's own keep-alive: the server never closes a connection
            # the suite's client is about to reuse (a reset read, not an answer).
            timeout_keep_alive=75,
        )
    )
    task = asyncio.create_task(server.serve(), name=f"serve-{name}")

    async def started() -> bool:
        assert not task.done(), f"{name} stopped during start-up"
        return bool(server.started)

    await eventually(started, timeout=60, message=f"{name} started")
    return RunningService(name, app, f"http://127.0.0.1:{port}", server, task)


@pytest.fixture(scope="session")
def security_topic_prefix(new_topic_prefix: Callable[[str], str]) -> str:
    return new_topic_prefix("security")


@pytest.fixture(scope="session")
async def product(
    postgres_admin_url: str, kafka_bootstrap: str, security_topic_prefix: str
) -> AsyncIterator[Product]:
    product = Product(kafka_bootstrap=kafka_bootstrap, topic_prefix=security_topic_prefix)
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(
                fresh_database(postgres_admin_url, f"security_{name}")
            )
            for name in SERVICES
        }
        for name in SERVICES:
            await upgrade_async(urls[name], ROOT / "services" / name / "src" / name / "migrations")
        auth_port_holder: dict[str, str] = {}
        for name in SERVICES:
            jwks = auth_port_holder.get("jwks", "http://127.0.0.1:9/.well-known/jwks.json")
            settings = _settings(name, urls[name], kafka_bootstrap, security_topic_prefix, jwks)
            if name == "catalog":
                from catalog.service_layer.reference import load_reference_data

                # The reference catalog, published (and its snapshot sent to messages).
                assert await load_reference_data(settings, path=None) == 0
            running = await _serve(name, _create_app(name, settings))
            product.services[name] = running
            if name == "auth":
                auth_port_holder["jwks"] = running.url + "/.well-known/jwks.json"
        from auth.domain.commands import SeedDemoAccounts

        await product.services["auth"].app.state.bus.handle(SeedDemoAccounts())

        waiting: dict[str, Any] = {}

        async def all_ready() -> bool:
            waiting.clear()
            for running in product.services.values():
                response = await product.http.get(running.url + "/readyz")
                if response.status_code != 200:
                    waiting[running.name] = response.json()
            return not waiting

        try:
            await eventually(all_ready, timeout=90, interval=0.3, message="services ready")
        except TimeoutError:
            pytest.fail(f"services not ready: {waiting}")
        try:
            yield product
        finally:
            for running in product.services.values():
                running.server.should_exit = True
            await asyncio.gather(
                *(running.task for running in product.services.values()), return_exceptions=True
            )
            await product.http.aclose()
