"""Agents: their login to the back office, and their accounts, managed by admins (every
fund) and supervisors (agents and supervisors of their fund). An agent the manager may not
see is not found, never forbidden: no hint that it exists."""

from __future__ import annotations

import uuid
from dataclasses import replace

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.commands import CreateAgent, GetAgent, ListAgents, LogInAgent, UpdateAgent
from auth.domain.errors import AgentEmailTaken, Forbidden, InvalidCredentials, NotFound
from auth.domain.model import Account, Agent, AgentRole, IssuedSession, Manager, may_manage
from auth.service_layer.handlers.common import (
    UnitOfWorkFactory,
    check_password_rules,
    check_password_throttled,
    issued,
    open_session,
    throttle_keys,
)
from auth.service_layer.tokens import TokenIssuer
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)


async def log_in_agent(
    cmd: LogInAgent,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
    issuer: TokenIssuer,
) -> IssuedSession:
    email = cmd.email.strip().lower()
    account_key, address_key = throttle_keys("agent", email, cmd.client_address)
    now = clock.now()
    async with uow() as work:
        agent = await work.agents.get_by_email(email)
        usable = agent if agent is not None and agent.active else None
        matched, account = await check_password_throttled(
            work,
            account_key=account_key,
            address_key=address_key,
            password_hash=usable.password_hash if usable else None,
            password=cmd.password,
            hasher=hasher,
            settings=settings,
            now=now,
        )
        if not matched:
            if account.locked and account.failures == settings.account_lock_after and agent:
                logger.warning("agent account locked after failed logins", agent_id=str(agent.id))
            await work.commit()
            raise InvalidCredentials(who="agent")
        assert usable is not None
        opened = Account(usable)
        session, refresh, csrf_token = await open_session(work, opened, now=now, settings=settings)
        await work.commit()
    return await issued(issuer, session, opened, refresh, csrf_token)


def _check_manager(manager: Manager, fund: str, role: AgentRole) -> None:
    if manager is not None and not may_manage(manager, fund, role):
        raise Forbidden()


def _visible(agent: Agent | None, manager: Manager) -> Agent:
    """The agent if the manager may see it; ``NotFound`` otherwise."""
    if agent is None or (manager is not None and not may_manage(manager, agent.fund, agent.role)):
        raise NotFound()
    return agent


async def create_agent(
    cmd: CreateAgent, *, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher
) -> Agent:
    _check_manager(cmd.manager, cmd.fund, cmd.role)
    now = clock.now()
    agent = Agent(
        id=uuid.uuid4(),
        email=cmd.email.strip().lower(),
        given_name=cmd.given_name.strip(),
        family_name=cmd.family_name.strip(),
        role=cmd.role,
        fund=cmd.fund,
        skills=tuple(dict.fromkeys(cmd.skills)),
        password_hash="",
        active=True,
        created_at=now,
    )
    check_password_rules(cmd.password, agent.personal_words())
    agent = replace(agent, password_hash=await hasher.hash(cmd.password))
    async with uow() as work:
        if not await work.agents.add(agent, now=now):
            raise AgentEmailTaken()
        work.publish_agent(agent)
        await work.commit()
    return agent


async def get_agent(cmd: GetAgent, *, uow: UnitOfWorkFactory) -> Agent:
    async with uow() as work:
        agent = await work.agents.get(cmd.agent_id)
    return _visible(agent, cmd.manager)


async def list_agents(cmd: ListAgents, *, uow: UnitOfWorkFactory) -> list[Agent]:
    manager, fund = cmd.manager, cmd.fund
    if manager is not None and manager[0] != "admin":
        fund = manager[1]
    async with uow() as work:
        agents = await work.agents.list(fund=fund)
    return [a for a in agents if manager is None or may_manage(manager, a.fund, a.role)]


def _updated(agent: Agent, cmd: UpdateAgent) -> Agent:
    return replace(
        agent,
        given_name=cmd.given_name if cmd.given_name is not None else agent.given_name,
        family_name=cmd.family_name if cmd.family_name is not None else agent.family_name,
        role=cmd.role if cmd.role is not None else agent.role,
        skills=tuple(dict.fromkeys(cmd.skills)) if cmd.skills is not None else agent.skills,
        active=cmd.active if cmd.active is not None else agent.active,
    )


async def update_agent(
    cmd: UpdateAgent, *, uow: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher
) -> Agent:
    """Change what the command names, and only that, on the agent's locked row: a change
    made meanwhile by someone else (a deactivation) is never written back."""
    password_hash: str | None = None
    if cmd.password is not None:
        # Checked and hashed before the row is locked: argon2 takes its time on purpose.
        seen = await get_agent(GetAgent(cmd.agent_id, manager=cmd.manager), uow=uow)
        check_password_rules(cmd.password, _updated(seen, cmd).personal_words())
        password_hash = await hasher.hash(cmd.password)
    now = clock.now()
    async with uow() as work:
        agent = _visible(await work.agents.get(cmd.agent_id, for_update=True), cmd.manager)
        if cmd.role is not None:
            _check_manager(cmd.manager, agent.fund, cmd.role)
        updated = _updated(agent, cmd)
        if password_hash is not None:
            updated = replace(updated, password_hash=password_hash)
        await work.agents.save_changes(agent, updated, now=now)
        work.publish_agent(updated)
        if not updated.active or cmd.password is not None or cmd.role is not None:
            # A deactivated agent, a new password or a new role: old sessions must go.
            await work.end_sessions_of(
                updated.id,
                now,
                reason="agent_deactivated" if not updated.active else "agent_changed",
            )
        await work.commit()
    return updated
