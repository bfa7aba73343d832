"""The auth service's unit of work: one transaction and the repositories that work in it."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.adapters.orm import AGENT_PASSWORD_RESETS
from auth.adapters.registry import RegistryRepository
from auth.adapters.repository import (
    AgentRepository,
    CodeRepository,
    FranceConnectRepository,
    KeyRepository,
    MemberRepository,
    PasswordResetRepository,
    SessionRepository,
    ThrottleRepository,
    TrailRepository,
)
from auth.domain.model import Agent, Session
from auth.domain.trail import SecurityEvent
from contracts.events.agents import AgentChanged
from contracts.events.security import RevocationReason, SecurityEventRecorded, SessionRevoked
from contracts.topics import AGENTS, SESSION_REVOCATIONS
from servicekit.db import UnitOfWork

#: How long an access token may still be accepted after it was issued, the verifiers'
#: leeway included: a revoked session's tokens are refused that long at least.
DEFAULT_TOKENS_LIVE_FOR = timedelta(minutes=10, seconds=60)


class AuthUnitOfWork(UnitOfWork):
    members: MemberRepository
    agents: AgentRepository
    codes: CodeRepository
    password_resets: PasswordResetRepository
    agent_password_resets: PasswordResetRepository
    trail: TrailRepository
    sessions: SessionRepository
    throttles: ThrottleRepository
    keys: KeyRepository
    franceconnect: FranceConnectRepository
    registry: RegistryRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        producer: str,
        tokens_live_for: timedelta = DEFAULT_TOKENS_LIVE_FOR,
    ) -> None:
        super().__init__(sessions, producer=producer)
        self.tokens_live_for = tokens_live_for

    def on_enter(self) -> None:
        self.members = MemberRepository(self.session)
        self.agents = AgentRepository(self.session)
        self.codes = CodeRepository(self.session)
        self.password_resets = PasswordResetRepository(self.session)
        self.agent_password_resets = PasswordResetRepository(self.session, AGENT_PASSWORD_RESETS)
        self.trail = TrailRepository(self.session)
        self.sessions = SessionRepository(self.session)
        self.throttles = ThrottleRepository(self.session)
        self.keys = KeyRepository(self.session)
        self.franceconnect = FranceConnectRepository(self.session)
        self.registry = RegistryRepository(self.session)

    async def record(self, event: SecurityEvent) -> None:
        """Add an entry to the security trail: kept here for supervisors and admins, and
        published on ``auth.security-events.v1``, both when, and only if, this commits."""
        await self.trail.add(event)
        fields = asdict(event)
        self.publish(
            SecurityEventRecorded.new(
                producer="auth",
                event_id=fields.pop("id"),
                occurred_at=fields.pop("occurred_at"),
                **fields,
            )
        )

    async def end_session(
        self, session_id: uuid.UUID, now: datetime, *, reason: RevocationReason
    ) -> None:
        """Revoke one session, and tell every service to refuse its access tokens."""
        self._publish_revocations(await self.sessions.revoke(session_id, now), now, reason)

    async def end_sessions_of(
        self,
        subject_id: uuid.UUID,
        now: datetime,
        *,
        reason: RevocationReason,
        keep: uuid.UUID | None = None,
    ) -> None:
        """Revoke every open session of a member or agent (but ``keep``), everywhere."""
        ended = await self.sessions.revoke_all(subject_id, now, keep=keep)
        self._publish_revocations(ended, now, reason)

    def publish_agent(self, agent: Agent) -> None:
        """Tell the directory of agents (``auth.agents.v1``) the agent's state as it is now:
        who may be given threads, with what name, role and skills."""
        self.publish(
            AgentChanged.new(
                producer="auth",
                agent_id=agent.id,
                fund=agent.fund,
                given_name=agent.given_name,
                family_name=agent.family_name,
                role=agent.role,
                skills=list(agent.skills),
                active=agent.active,
            ),
            topic=AGENTS,
        )

    def _publish_revocations(
        self, ended: list[Session], now: datetime, reason: RevocationReason
    ) -> None:
        for session in ended:
            self.publish(
                SessionRevoked.new(
                    producer="auth",
                    session_id=session.id,
                    subject_id=session.subject_id,
                    kind=session.kind,
                    reason=reason,
                    revoked_at=now,
                    tokens_expire_by=now + self.tokens_live_for,
                ),
                topic=SESSION_REVOCATIONS,
            )
