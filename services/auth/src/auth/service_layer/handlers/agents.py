"""Agents: their login to the back office, and their accounts, managed by admins (every
fund) and supervisors (agents and supervisors of their fund). An agent the manager may not
see is not found, never forbidden: no hint that it exists."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from auth.adapters.passwords import PasswordHasher
from auth.config import Settings
from auth.domain.commands import (
    CreateAgent,
    GetAgent,
    ListAgents,
    ListSecurityEvents,
    LogInAgent,
    ResetAgentPassword,
    SendAgentPasswordReset,
    UpdateAgent,
)
from auth.domain.errors import (
    AgentEmailTaken,
    Forbidden,
    InvalidCredentials,
    InvalidLink,
    NotFound,
)
from auth.domain.model import (
    Account,
    Agent,
    AgentRole,
    IssuedSession,
    Manager,
    digest,
    may_manage,
    new_secret,
)
from auth.domain.trail import Party, SecurityEvent, mask_typed, readable_fund
from auth.service_layer.handlers.common import (
    PRODUCER,
    UnitOfWorkFactory,
    agent_account_changed,
    check_password_rules,
    check_password_throttled,
    issued,
    open_session,
    record,
    record_failed_login,
    throttle_keys,
)
from auth.service_layer.tokens import TokenIssuer
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.auth import AgentPasswordResetRequested
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
            tried=agent or Party("agent", None, mask_typed(email), None),
            client_address=cmd.client_address,
        )
        if not matched:
            failed = agent or Party("agent", None, mask_typed(email), None)
            locked_now = await record_failed_login(
                work,
                failed,
                account,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
            )
            if locked_now and agent:
                logger.warning("agent account locked after failed logins", agent_id=str(agent.id))
            await work.commit()
            raise InvalidCredentials(who="agent")
        assert usable is not None
        opened = Account(usable)
        session, refresh, csrf_token = await open_session(work, opened, now=now, settings=settings)
        await record(
            work,
            "login_succeeded",
            usable,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="password",
        )
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


async def _actor(work: AuthUnitOfWork, actor_id: uuid.UUID | None) -> Agent | None:
    """The manager who acts, as the trail names them (None: the command line)."""
    return await work.agents.get(actor_id) if actor_id else None


async def _send_reset_link(
    work: AuthUnitOfWork,
    agent: Agent,
    *,
    settings: Settings,
    now: datetime,
    requested_by: uuid.UUID | None,
) -> datetime:
    """A one-time link for ``agent`` to choose a password (earlier links stop working)."""
    token = new_secret()
    expires_at = now + timedelta(minutes=settings.password_reset_minutes)
    await work.agent_password_resets.invalidate_for(agent.id, now)
    await work.agent_password_resets.add(
        token_hash=digest(token),
        member_id=agent.id,
        now=now,
        expires_at=expires_at,
        requested_by=requested_by,
    )
    work.publish(
        AgentPasswordResetRequested.new(
            producer=PRODUCER,
            agent_id=agent.id,
            fund=agent.fund,
            email=agent.email,
            given_name=agent.given_name,
            reset_token=token,
            expires_at=expires_at,
        )
    )
    return expires_at


async def create_agent(
    cmd: CreateAgent,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> Agent:
    """Create an agent, who is emailed a one-time link to choose their password: nobody else,
    manager or tool, ever sets or knows it (until then the account's hash is the hash of a
    secret nobody holds)."""
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
        password_hash=await hasher.hash(new_secret()),
        active=True,
        created_at=now,
    )
    async with uow() as work:
        if not await work.agents.add(agent, now=now):
            raise AgentEmailTaken()
        work.publish_agent(agent)
        await _send_reset_link(work, agent, settings=settings, now=now, requested_by=cmd.actor_id)
        await record(
            work,
            "agent_created",
            agent,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            actor=await _actor(work, cmd.actor_id),
            system=cmd.manager is None,
            details={"role": agent.role},
        )
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
    cmd: UpdateAgent, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> Agent:
    """Change what the command names, and only that, on the agent's locked row: a change
    made meanwhile by someone else (a deactivation) is never written back. A password is
    never set here: ``SendAgentPasswordReset`` emails the agent a link."""
    now = clock.now()
    async with uow() as work:
        agent = _visible(await work.agents.get(cmd.agent_id, for_update=True), cmd.manager)
        if cmd.role is not None:
            _check_manager(cmd.manager, agent.fund, cmd.role)
        updated = _updated(agent, cmd)
        await work.agents.save_changes(agent, updated, now=now)
        work.publish_agent(updated)
        if not updated.active or cmd.role is not None:
            # A deactivated agent or a new role: old sessions must go.
            await work.end_sessions_of(
                updated.id,
                now,
                reason="agent_deactivated" if not updated.active else "agent_changed",
            )
        actor = await _actor(work, cmd.actor_id)
        changes: list[tuple[str, dict[str, str]]] = []
        if updated.role != agent.role:
            changes.append(
                ("agent_role_changed", {"previous_role": agent.role, "role": updated.role})
            )
        if updated.active != agent.active:
            changes.append(("agent_reactivated" if updated.active else "agent_deactivated", {}))
        for kind, details in changes:
            await record(
                work,
                kind,  # type: ignore[arg-type]  # one of the trail's kinds, listed above
                updated,
                settings=settings,
                now=now,
                client_address=cmd.client_address,
                actor=actor,
                system=cmd.manager is None,
                details=details,
            )
        await work.commit()
    return updated


async def send_agent_password_reset(
    cmd: SendAgentPasswordReset, *, uow: UnitOfWorkFactory, clock: Clock, settings: Settings
) -> datetime:
    """Email the agent a one-time link to choose a new password; when it expires."""
    now = clock.now()
    async with uow() as work:
        agent = _visible(await work.agents.get(cmd.agent_id, for_update=True), cmd.manager)
        expires_at = await _send_reset_link(
            work, agent, settings=settings, now=now, requested_by=cmd.actor_id
        )
        await record(
            work,
            "agent_password_reset_requested",
            agent,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            actor=await _actor(work, cmd.actor_id),
            system=cmd.manager is None,
        )
        await work.commit()
    return expires_at


async def reset_agent_password(
    cmd: ResetAgentPassword,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    hasher: PasswordHasher,
    settings: Settings,
) -> None:
    """An agent chooses a new password with the emailed link: single use, every session of
    theirs is revoked, their login counter cleared."""
    now = clock.now()
    async with uow() as work:
        agent_id = await work.agent_password_resets.find(digest(cmd.token), now)
        agent = await work.agents.get(agent_id, for_update=True) if agent_id else None
        if agent is None or not agent.active:
            raise InvalidLink()
        check_password_rules(cmd.password, agent.personal_words())
        await work.agent_password_resets.take(digest(cmd.token), now)
        await work.agent_password_resets.invalidate_for(agent.id, now)
        updated = replace(agent, password_hash=await hasher.hash(cmd.password))
        await work.agents.save_changes(agent, updated, now=now)
        await work.end_sessions_of(agent.id, now, reason="password_reset")
        await work.throttles.clear(f"agent:{agent.email}")
        work.publish(agent_account_changed(agent, "password_reset", now=now))
        await record(
            work,
            "password_reset_completed",
            agent,
            settings=settings,
            now=now,
            client_address=cmd.client_address,
            method="link",
        )
        await work.commit()


async def list_security_events(
    cmd: ListSecurityEvents, *, uow: UnitOfWorkFactory
) -> list[SecurityEvent]:
    """The trail as the reader may read it: a supervisor their fund's entries whatever they
    ask, an admin every fund's (or the one asked)."""
    if cmd.reader_role not in ("supervisor", "admin"):
        raise Forbidden()
    query = replace(cmd.query, fund=readable_fund(cmd.reader_role, cmd.reader_fund, cmd.query.fund))
    async with uow() as work:
        return await work.trail.list(query)
