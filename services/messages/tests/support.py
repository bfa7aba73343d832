"""Helpers for the messages service's tests: a catalog snapshot, callers' tokens, requests,
settings and topics. The movable clock is ``servicekit.testing.MovableClock``.

Imported as ``from services.messages.tests.support import ...``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import messages
from contracts.events.agents import AgentChanged
from contracts.events.catalog import CatalogPublished, Motif, OnlineService, Subject, Theme
from contracts.topics import AGENTS, CATALOG_SNAPSHOT
from messages.config import Settings
from messages.domain.model import Node, Status, Thread
from servicekit.testing import TokenMinter, eventually

MIGRATIONS = Path(messages.__file__).parent / "migrations"


def catalog_snapshot(
    version: int = 1,
    *,
    motif_label: str = "Mon changement de situation",
    skills: Mapping[str, str] | None = None,
) -> CatalogPublished:
    """A small catalog with the codes the portal and the tests rely on.

    ``skills`` reroutes motifs (motif code → skill); by default a motif's skill is its
    theme's code."""
    skills = skills or {}
    change = OnlineService(
        title="Déclarer un changement de situation",
        description="Déclarez en ligne un déménagement, une naissance, une séparation...",
        url="https://www.msa.fr/changement-de-situation",
        fund_urls={"NPC": "https://nord-pasdecalais.msa.fr/changement-de-situation"},
    )
    famille = Theme(
        code="famille",
        label="Famille, Allocations familiales, aides au logement",
        order=2,
        active=True,
        subjects=(
            Subject(
                code="famille-allocations",
                label="Allocations familiales",
                order=3,
                active=True,
                motifs=(
                    Motif(
                        code="af-changement-situation",
                        label=motif_label,
                        order=7,
                        active=True,
                        skill=skills.get("af-changement-situation", "famille"),
                        response_time_days=5,
                        online_service=change,
                    ),
                    Motif(
                        code="af-autre",
                        label="Autre",
                        order=8,
                        active=True,
                        skill=skills.get("af-autre", "famille"),
                        response_time_days=10,
                    ),
                    Motif(
                        code="af-ancien-motif",
                        label="Ancien motif",
                        order=9,
                        active=False,
                        skill=skills.get("af-ancien-motif", "famille"),
                        response_time_days=10,
                    ),
                ),
            ),
        ),
    )
    sante = Theme(
        code="sante",
        label="Santé, Carte Vitale, remboursements, CMU, invalidité...",
        order=1,
        active=True,
        subjects=(
            Subject(
                code="sante-remboursements",
                label="Mes remboursements",
                order=1,
                active=True,
                motifs=(
                    Motif(
                        code="sante-remboursement-soins",
                        label="Remboursement de soins",
                        order=1,
                        active=True,
                        skill=skills.get("sante-remboursement-soins", "sante"),
                        response_time_days=3,
                    ),
                ),
            ),
        ),
    )
    return CatalogPublished.new(
        producer="catalog",
        version=version,
        published_at=datetime.now(UTC),
        themes=(sante, famille),
    )


async def publish_catalog(bootstrap: str, prefix: str, snapshot: CatalogPublished) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            prefix + CATALOG_SNAPSHOT.name, snapshot.to_json(), key=CATALOG_SNAPSHOT.key.encode()
        )
    finally:
        await producer.stop()


@dataclass(frozen=True)
class Caller:
    id: uuid.UUID
    fund: str
    headers: dict[str, str]
    #: An agent's, as the directory of agents would list them (``publish_agents``).
    given_name: str = ""
    family_name: str = ""
    role: str = "member"
    skills: tuple[str, ...] = ()


@dataclass
class People:
    """Access tokens for members and agents, as the auth service would sign them."""

    minter: TokenMinter

    def member(
        self, fund: str = "NPC", given_name: str = "Camille", family_name: str = "MARTIN"
    ) -> Caller:
        subject = uuid.uuid4()
        token = self.minter.mint(
            api="messages",
            subject=subject,
            kind="member",
            fund=fund,
            given_name=given_name,
            family_name=family_name,
        )
        return Caller(subject, fund, {"Authorization": f"Bearer {token}"})

    def agent(
        self,
        fund: str = "NPC",
        role: str = "agent",
        given_name: str = "Sophie",
        family_name: str = "BERNARD",
        skills: Sequence[str] = ("famille", "sante"),
    ) -> Caller:
        subject = uuid.uuid4()
        token = self.minter.mint(
            api="messages",
            subject=subject,
            kind="agent",
            fund=fund,
            role=role,
            skills=list(skills),
            given_name=given_name,
            family_name=family_name,
        )
        return Caller(
            subject,
            fund,
            {"Authorization": f"Bearer {token}"},
            given_name=given_name,
            family_name=family_name,
            role=role,
            skills=tuple(skills),
        )


async def publish_agents(
    bootstrap: str, prefix: str, *agents: Caller, active: bool = True
) -> list[AgentChanged]:
    """What the auth service publishes on ``auth.agents.v1`` for these agents."""
    events = [
        AgentChanged.new(
            producer="auth",
            agent_id=agent.id,
            fund=agent.fund,
            given_name=agent.given_name,
            family_name=agent.family_name,
            role=agent.role,
            skills=list(agent.skills),
            active=active,
        )
        for agent in agents
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                prefix + AGENTS.name, event.to_json(), key=str(event.agent_id).encode()
            )
    finally:
        await producer.stop()
    return events


class Directory:
    """The directory of agents as the service keeps it: agents published on the session's
    ``auth.agents.v1``, as the auth service would, and met once the service holds them."""

    def __init__(self, database_url: str, bootstrap: str, prefix: str) -> None:
        self.database_url, self.bootstrap, self.prefix = database_url, bootstrap, prefix

    async def lists(self, *agents: Caller, active: bool = True) -> None:
        events = await publish_agents(self.bootstrap, self.prefix, *agents, active=active)
        engine = create_async_engine(self.database_url)
        try:

            async def held() -> bool:
                async with engine.connect() as connection:
                    rows = await connection.execute(
                        text(
                            "SELECT count(*) FROM agents_directory WHERE agent_id = ANY(:ids) "
                            "AND active = :active AND changed_at >= :since"
                        ),
                        {
                            "ids": [event.agent_id for event in events],
                            "active": active,
                            "since": min(event.occurred_at for event in events),
                        },
                    )
                    return rows.scalar_one() == len(events)

            await eventually(held, timeout=30, message="the directory of agents lists them")
        finally:
            await engine.dispose()


def new_message(**overrides: Any) -> dict[str, Any]:
    return {
        "theme": "famille",
        "subject": "famille-allocations",
        "motif": "af-changement-situation",
        "text": "Bonjour, je viens de déménager et je souhaite déclarer ma nouvelle adresse.",
    } | overrides


async def send(
    client: httpx.AsyncClient, caller: Caller, key: str | None = None, **overrides: Any
) -> httpx.Response:
    return await client.post(
        "/threads",
        json=new_message(**overrides),
        headers=caller.headers | {"Idempotency-Key": key or str(uuid.uuid4())},
    )


def service_settings(
    database_url: str, bootstrap: str, prefix: str, jwks_url: str, **overrides: Any
) -> Settings:
    return Settings(
        database_url=SecretStr(database_url),
        environment="test",
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        kafka_group_prefix=prefix,
        auth_jwks_url=jwks_url,
        outbox_poll_interval_seconds=0.5,
        catalog_refresh_seconds=0.5,
        log_format="console",
        **overrides,
    )


async def topics_with_leaders(bootstrap: str, prefix: str) -> None:
    """Create every contracts topic under ``prefix`` and wait until each partition has a
    leader, so a consumer or producer started next does not meet a leader election."""
    import asyncio

    from aiokafka import TopicPartition

    from contracts import ALL_TOPICS
    from servicekit.kafka import ensure_topics

    await ensure_topics(bootstrap, ALL_TOPICS, prefix=prefix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic in ALL_TOPICS:
            name = prefix + topic.name
            for _ in range(300):
                await producer.client.force_metadata_update()
                partitions = producer.client.cluster.partitions_for_topic(name) or set()
                leaders = [
                    producer.client.cluster.leader_for_partition(TopicPartition(name, partition))
                    for partition in partitions
                ]
                if len(partitions) == topic.partitions and all(
                    leader is not None and leader >= 0 for leader in leaders
                ):
                    break
                await asyncio.sleep(0.1)
    finally:
        await producer.stop()


def a_thread(
    status: Status = Status.SUBMITTED,
    *,
    assignee: tuple[uuid.UUID, str] | None = None,
    **overrides: Any,
) -> Thread:
    """A thread as the domain holds it, sent on Monday 2 February 2026 (due five working days
    later), in ``status``, assigned to ``(id, name)`` if given."""
    sent = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "reference": "NPC-2026-000123",
        "fund": "NPC",
        "member_id": uuid.uuid4(),
        "member_given_name": "Camille",
        "member_family_name": "MARTIN",
        "theme": Node("famille", "Famille, Allocations familiales, aides au logement"),
        "subject": Node("famille-allocations", "Allocations familiales"),
        "motif": Node("af-changement-situation", "Mon changement de situation"),
        "skill": "famille",
        "response_time_days": 5,
        "status": status,
        "created_at": sent,
        "last_activity_at": sent,
        "due_date": date(2026, 2, 9),
    }
    if assignee is not None:
        values |= {"assignee_id": assignee[0], "assignee_name": assignee[1], "assigned_at": sent}
    if status is Status.CLOSED:
        values["closed_at"] = sent
    return Thread(**(values | overrides))


# --- Attachments ------------------------------------------------------------------------------

#: The EICAR antivirus test string, assembled so that no file of the repository holds it whole.
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()


def sample_pdf(text: str = "Attestation de domicile") -> bytes:
    """A small, plain PDF, as a scanner or a word processor makes one (the same bytes for
    the same text)."""
    from fpdf import FPDF

    document = FPDF()
    document.set_creation_date(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text=text)
    return bytes(document.output())


def infected_pdf() -> bytes:
    """A readable PDF that carries the EICAR test signature after its end."""
    return sample_pdf() + b"\n%" + EICAR + b"\n"


def photo_with_gps(size: tuple[int, int] = (320, 240)) -> bytes:
    """A JPEG photo whose EXIF says where it was taken (GPS) and with what camera."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, (40, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}  # GPSInfo
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif, quality=90)
    return output.getvalue()


async def upload(
    client: httpx.AsyncClient,
    caller: Caller,
    content: bytes,
    name: str = "attestation.pdf",
    *,
    agent: bool = False,
) -> httpx.Response:
    return await client.post(
        "/agent/attachments" if agent else "/attachments",
        params={"name": name},
        content=content,
        headers=caller.headers | {"Content-Type": "application/octet-stream"},
    )
