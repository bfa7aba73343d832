"""Helpers of the auth service's tests: the app in-process, browser-like clients, events
(``from services.auth.tests.support import ...``; FranceConnect's in ``.franceconnect``).

The app is reached as the gateway serves it (``http://localhost:8080/api/auth/...``), so
cookie paths behave as in a browser. Each client comes from an address of its own (through
``X-Forwarded-For``, which the app trusts from its loopback peer), so the per-address
brute-force counters of one test never slow down another.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from auth.config import Settings
from auth.domain.commands import SeedDemoAccounts
from auth.domain.nir import key_of
from auth.domain.nir import normalize as nir_normalize
from auth.main import create_app
from auth.service_layer.handlers.registry import record_insured_person
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.registry import InsuredPersonRegistered
from contracts.events.registry import PostalAddress as RegistryAddress
from contracts.topics import TopicSpec
from servicekit.clock import SystemClock
from servicekit.security import CSRF_HEADER, access_cookie, csrf_cookie, refresh_cookie
from servicekit.testing import MovableClock, eventually

MIGRATIONS = Path(__file__).parents[2] / "src" / "auth" / "migrations"
API = "http://localhost:8080/api/auth"
ORIGIN = "http://localhost:8080"


class AuthApp:
    """The running app and a way to open browser-like clients on it; ``events`` is what
    the test session read from the app's topics (when the test asked for it)."""

    def __init__(self, app: FastAPI, settings: Settings, events: EventLog | None = None) -> None:
        self.app = app
        self.settings = settings
        self.events = events

    def client(self, *, address: str | None = None) -> httpx.AsyncClient:
        address = (
            address
            or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        )
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(self.app, root_path="/api/auth"),
            base_url=API,
            headers={"X-Forwarded-For": address},
        )


@asynccontextmanager
async def running_app(
    settings: Settings, clock: MovableClock, *, events: EventLog | None = None, **options: Any
) -> AsyncIterator[AuthApp]:
    app = create_app(settings, clock=clock, **options)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield AuthApp(app, settings, events)


#: The portal's session cookies on plain http://localhost (an access token per API: the
#: auth API's here), and the back office's CSRF cookie.
ACCESS_COOKIE = access_cookie("portal", "auth", secure=False)
CSRF_COOKIE = csrf_cookie("portal", secure=False)
REFRESH_COOKIE = refresh_cookie("portal", secure=False)
BACKOFFICE_CSRF_COOKIE = csrf_cookie("backoffice", secure=False)


def browser_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """What the web app's fetch sends on a state-changing request (the portal's CSRF token,
    or the back office's when the jar holds an agent's session)."""
    csrf = client.cookies.get(CSRF_COOKIE) or client.cookies.get(BACKOFFICE_CSRF_COOKIE)
    return {CSRF_HEADER: csrf or "", "Origin": ORIGIN}


#: The numbers ``random_nir`` gave in this test run, never given twice: most share a birth
#: date, so two tests could otherwise draw the same number (one chance in about 94 million
#: per pair).
_GIVEN_NIRS: set[str] = set()


def random_nir(*, sex: str = "1", birth: date = date(1980, 3, 15)) -> tuple[str, str]:
    """A valid NIR nobody else in the test database has: ``(thirteen, fifteen)``."""
    while True:
        department = f"{secrets.randbelow(95) + 1:02d}"
        if department == "20":
            department = "2A"
        commune = f"{secrets.randbelow(989) + 1:03d}"
        order = f"{secrets.randbelow(999) + 1:03d}"
        thirteen = f"{sex}{birth.year % 100:02d}{birth.month:02d}{department}{commune}{order}"
        if thirteen not in _GIVEN_NIRS:
            _GIVEN_NIRS.add(thirteen)
            return thirteen, f"{thirteen}{key_of(thirteen):02d}"


def member_form(**overrides: Any) -> dict[str, Any]:
    """An enrolment form (``POST /members``) for a new number; ``cover`` puts its person in
    the registry."""
    birth = overrides.pop("birth", date(1980, 3, 15))
    _, fifteen = random_nir(birth=birth)
    form = {
        "nir": fifteen,
        "birth_date": birth.isoformat(),
        "family_name": "TESTARD",
        "email": f"lucie.{secrets.token_hex(4)}@example.fr",
        "password": "Tournesol-Blé-2026",
    }
    form.update(overrides)
    return form


def insured_person(form: dict[str, Any], **overrides: Any) -> InsuredPersonRegistered:
    """The registry's record of the person an enrolment form names: the fund NPC, first
    name Lucie, an address in Lille, and the form's address as the one the fund verified
    (its activation code then goes by email; ``email=None`` sends it by post)."""
    fields: dict[str, Any] = {
        "nir": nir_normalize(form["nir"])[:13],
        "fund": "NPC",
        "birth_date": date.fromisoformat(form["birth_date"]),
        "family_name": form["family_name"],
        "usage_name": None,
        "given_names": ["Lucie"],
        "birthplace": nir_place(nir_normalize(form["nir"])[:13]),
        "address": RegistryAddress(
            lines=["12 rue des Tilleuls"], postal_code="59000", city="LILLE"
        ),
        "email": form.get("email"),
    }
    return InsuredPersonRegistered.new(producer="registry", **(fields | overrides))


async def cover(
    auth_app: AuthApp, form: dict[str, Any], **overrides: Any
) -> InsuredPersonRegistered:
    """Put the person ``form`` names in the app's registry, as its registry consumer does
    with the funds' record (the consumer itself is tested on the real topic)."""
    event = insured_person(form, **overrides)
    async with AuthUnitOfWork(auth_app.app.state.runtime.sessions, producer="auth") as work:
        await record_insured_person(event, transaction=work, clock=SystemClock())
        await work.commit()
    return event


def nir_place(thirteen: str) -> str:
    """The INSEE code of the place of birth a NIR says (department and commune)."""
    return thirteen[5:10]


class EventLog:
    """Every record of some topics of this test session, read from the real broker."""

    def __init__(self, bootstrap: str, prefix: str, topics: list[TopicSpec]) -> None:
        self._bootstrap = bootstrap
        self._prefix = prefix
        self._topics = topics
        self.records: list[tuple[str, str | None, dict[str, Any] | None]] = []
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *[self._prefix + topic.name for topic in self._topics],
            bootstrap_servers=self._bootstrap,
            group_id=f"{self._prefix}auth-tests-{uuid.uuid4().hex[:6]}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            key = record.key.decode() if record.key else None
            value = json.loads(record.value) if record.value is not None else None
            self.records.append((record.topic.removeprefix(self._prefix), key, value))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_for(
        self, match: Callable[[str, str | None, dict[str, Any] | None], bool], *, what: str
    ) -> tuple[str, str | None, dict[str, Any] | None]:
        async def found() -> tuple[str, str | None, dict[str, Any] | None] | None:
            for record in self.records:
                if match(*record):
                    return record
            return None

        record = await eventually(found, timeout=30, message=f"no event: {what}")
        assert record is not None
        return record

    def matching(
        self, match: Callable[[str, str | None, dict[str, Any] | None], bool]
    ) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        return [record for record in self.records if match(*record)]


def settings_with(base: Settings, **changes: Any) -> Settings:
    return base.model_copy(update=changes)


async def seed_demo_accounts(auth_app: AuthApp) -> list[str]:
    """The demo accounts of the local environment, as ``python -m auth setup-local`` seeds
    them: the ``DEMO`` lines it prints."""
    return await auth_app.app.state.bus.handle(SeedDemoAccounts())


async def outbox_events(auth_app: AuthApp, event_type: str) -> list[dict[str, Any]]:
    """Events the app committed to its outbox (whether relayed yet or not)."""
    from sqlalchemy import select

    from servicekit.outbox import OUTBOX

    async with auth_app.app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.event_type == event_type).order_by(OUTBOX.c.id)
        )
        return [row.payload for row in rows]


async def as_published(auth_app: AuthApp, event: dict[str, Any]) -> dict[str, Any]:
    """An event of the outbox as the notifier receives it: with its one-time secret (a code,
    a reset token), which the outbox drops once the event is published."""
    assert auth_app.events is not None, "the app was started without the session's event log"
    _, _, published = await auth_app.events.wait_for(
        lambda _topic, _key, value: value is not None and value["event_id"] == event["event_id"],
        what=f"{event['event_type']} {event['event_id']} on Kafka",
    )
    assert published is not None
    return published


async def registered_member(auth_app: AuthApp, **overrides: Any) -> tuple[str, str]:
    """An active member, created through the API: ``(thirteen characters, password)``."""
    given_name = overrides.pop("given_name", "Lucie")
    fund = overrides.pop("fund", "NPC")
    form = member_form(**overrides)
    await cover(auth_app, form, given_names=[given_name], fund=fund)
    async with auth_app.client() as browser:
        response = await browser.post("/members", json=form)
        assert response.status_code == 202, response.text
        [event] = [
            e
            for e in await outbox_events(auth_app, "ActivationCodeIssued")
            if e["email"] == form["email"]
        ]
        event = await as_published(auth_app, event)
        response = await browser.post(
            "/members/activation", json={"nir": form["nir"][:13], "code": event["code"]}
        )
        assert response.status_code == 204, response.text
    return form["nir"][:13], form["password"]


# --------------------------------------------------------------------------- agents

#: The demo agents of ``auth/seed/demo_accounts.yaml``: email and password.
DEMO_AGENTS = {
    "admin": ("admin@msa.example", "Gouverne-Reseau-2026"),
    "supervisor": ("superviseur.npc@msa.example", "Pilote-Nord-2026"),
    "agent": ("agent.npc@msa.example", "Conseil-Nord-2026"),
    "cno": ("agent.cno@msa.example", "Conseil-Manche-2026"),
}


async def agent_bearer(auth_app: AuthApp, who: str) -> dict[str, str]:
    """The ``Authorization`` header of a demo agent (``admin``, ``supervisor``...)."""
    email, password = DEMO_AGENTS[who]
    async with auth_app.client() as tool:
        response = await tool.post(
            "/agents/session", json={"email": email, "password": password, "bearer": True}
        )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def new_agent(**overrides: Any) -> dict[str, Any]:
    """The body of ``POST /agents``: never a password (the agent chooses it by link)."""
    return {
        "email": f"conseiller.{secrets.token_hex(4)}@msa.example",
        "given_name": "Hugo",
        "family_name": "MOREL",
        "role": "agent",
        "fund": "NPC",
        "skills": ["famille"],
    } | overrides


#: What a new agent of the tests chooses with the link they are sent.
AGENT_PASSWORD = "Accueil-Caisse-2026"


async def reset_token_sent_to(auth_app: AuthApp, agent_id: str) -> str:
    """The one-time link's token of the latest ``AgentPasswordResetRequested`` for the agent,
    as the notifier receives it."""
    links = [
        event
        for event in await outbox_events(auth_app, "AgentPasswordResetRequested")
        if event["agent_id"] == agent_id
    ]
    assert links, f"no link was sent to agent {agent_id}"
    return str((await as_published(auth_app, links[-1]))["reset_token"])


async def created_agent(
    auth_app: AuthApp,
    manager: dict[str, str],
    password: str = AGENT_PASSWORD,
    **overrides: Any,
) -> dict[str, Any]:
    """An agent created by ``manager`` through the API, who has chosen ``password`` with the
    link they were sent: the agent's ``AgentPublic``."""
    async with auth_app.client() as tool:
        created = await tool.post("/agents", json=new_agent(**overrides), headers=manager)
        assert created.status_code == 201, created.text
        agent: dict[str, Any] = created.json()
        token = await reset_token_sent_to(auth_app, agent["id"])
        chosen = await tool.post(
            "/agents/password/reset", json={"token": token, "password": password}
        )
        assert chosen.status_code == 204, chosen.text
    return agent


# --------------------------------------------------------------------------- concurrency


class HeldHashing:
    """Holds every password hash of the app until ``release()``: a test puts another
    request in the middle of a slow one, at the moment argon2 would be computing."""

    def __init__(self, auth_app: AuthApp, monkeypatch: Any) -> None:
        hasher = auth_app.app.state.adapters.hasher
        real_hash = hasher.hash
        self.started = asyncio.Event()
        self._released = asyncio.Event()

        async def held(password: str) -> str:
            self.started.set()
            await self._released.wait()
            return str(await real_hash(password))

        monkeypatch.setattr(hasher, "hash", held)

    async def wait_started(self) -> None:
        await asyncio.wait_for(self.started.wait(), timeout=10)

    def release(self) -> None:
        self._released.set()


def hashes_meet(auth_app: AuthApp, monkeypatch: Any, parties: int) -> None:
    """Make ``parties`` requests that hash a password go on together once each has hashed:
    their writes to the database then come at the same moment, as a double click's do."""
    hasher = auth_app.app.state.adapters.hasher
    real_hash = hasher.hash
    barrier = asyncio.Barrier(parties)

    async def meeting(password: str) -> str:
        hashed = str(await real_hash(password))
        async with asyncio.timeout(10):
            await barrier.wait()
        return hashed

    monkeypatch.setattr(hasher, "hash", meeting)
