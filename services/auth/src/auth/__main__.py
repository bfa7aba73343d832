"""``python -m auth migrate|setup-local|rotate-keys|create-agent|publish-agents``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.commands import CreateAgent, SeedDemoAccounts
from auth.domain.errors import Conflict, InvalidData
from auth.service_layer.handlers import UnitOfWorkFactory, agents, housekeeping
from auth.service_layer.tokens import KeyRing
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts import all_funds
from servicekit.bus import MessageBus, bootstrap
from servicekit.cli import Command, ServiceCli
from servicekit.clock import SystemClock
from servicekit.db import create_engine, session_factory
from servicekit.settings import ServiceSettings


def _settings(settings: ServiceSettings) -> Settings:
    assert isinstance(settings, Settings)
    return settings


@asynccontextmanager
async def _unit_of_work(settings: Settings) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        yield lambda: AuthUnitOfWork(sessions, producer=settings.service_name)
    finally:
        await engine.dispose()


def _bus(settings: Settings, unit_of_work: UnitOfWorkFactory) -> MessageBus:
    """The handlers the commands below need, bound as ``create_app`` binds them."""
    return bootstrap(
        [agents.create_agent, housekeeping.seed_demo_accounts],
        uow=unit_of_work,
        clock=SystemClock(),
        settings=settings,
        hasher=PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            max_concurrent=settings.argon2_max_concurrent,
        ),
    )


async def setup_local(base: ServiceSettings) -> None:
    """Signing keys, then the demo accounts (printed as ``DEMO`` lines)."""
    settings = _settings(base)
    async with _unit_of_work(settings) as unit_of_work:
        await KeyRing(settings, SystemClock(), unit_of_work).ensure()
        lines = await _bus(settings, unit_of_work).handle(SeedDemoAccounts())
    print("\n".join(lines))


async def rotate_keys(base: ServiceSettings, args: argparse.Namespace) -> int:
    settings = _settings(base)
    async with _unit_of_work(settings) as unit_of_work:
        report = await KeyRing(settings, SystemClock(), unit_of_work).rotate(force=args.force)
    print("\n".join(report.lines()))
    return 1 if report.waiting_until else 0


def _rotate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="activate the next key even if it was published only just now "
        "(verifiers that cached the JWKS refetch it on an unknown kid)",
    )


async def create_agent(base: ServiceSettings, args: argparse.Namespace) -> int:
    """The agent is emailed a link to choose their password (sent by the service's relay,
    through the notifier): nobody, the operator included, ever knows it."""
    settings = _settings(base)
    async with _unit_of_work(settings) as unit_of_work:
        try:
            agent = await _bus(settings, unit_of_work).handle(
                CreateAgent(
                    email=args.email,
                    given_name=args.given_name,
                    family_name=args.family_name,
                    role=args.role,
                    fund=args.fund,
                    skills=tuple(skill for skill in args.skills.split(",") if skill),
                )
            )
        except InvalidData as error:
            print(f"refused: {error}", file=sys.stderr)
            return 2
        except Conflict:
            print(f"refused: an agent already has the email {args.email}", file=sys.stderr)
            return 2
    print(f"agent {agent.id} created: {agent.email} ({agent.role}, {agent.fund})")
    print(f"a link to choose their password is emailed to {agent.email}")
    return 0


def _agent_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True)
    parser.add_argument("--given-name", required=True)
    parser.add_argument("--family-name", required=True)
    parser.add_argument("--role", required=True, choices=["agent", "supervisor", "admin"])
    parser.add_argument("--fund", required=True, choices=sorted(all_funds()))
    parser.add_argument("--skills", default="", help="theme codes, comma-separated")


async def publish_agents(base: ServiceSettings, args: argparse.Namespace) -> int:
    """Publish every agent on the directory topic (``auth.agents.v1``) through the outbox:
    once after the upgrade that brought the topic, or to rebuild a consumer's directory."""
    settings = _settings(base)
    async with _unit_of_work(settings) as unit_of_work, unit_of_work() as work:
        every_agent = await work.agents.list(fund=None)
        for agent in every_agent:
            work.publish_agent(agent)
        await work.commit()
    print(f"{len(every_agent)} agents queued for auth.agents.v1 (the service's relay sends them)")
    return 0


cli = ServiceCli(
    service="auth",
    settings=Settings,
    migrations=Path(__file__).parent / "migrations",
    local_setup=[setup_local],
    commands={
        "rotate-keys": Command(
            help="publish a new signing key, and let the one published earlier sign",
            run=rotate_keys,
            arguments=_rotate_arguments,
        ),
        "create-agent": Command(
            help="create an agent account (any role, any fund)",
            run=create_agent,
            arguments=_agent_arguments,
        ),
        "publish-agents": Command(
            help="publish every agent on the directory of agents (auth.agents.v1)",
            run=publish_agents,
        ),
    },
)

if __name__ == "__main__":
    sys.exit(cli.main())
