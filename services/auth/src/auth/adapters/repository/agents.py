"""Agents: in and out of their table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import AGENTS
from auth.adapters.repository.rows import changed_values
from auth.domain.model import Agent


class AgentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @staticmethod
    def _from_row(row: Row[Any]) -> Agent:
        return Agent(
            id=row.id,
            email=row.email,
            given_name=row.given_name,
            family_name=row.family_name,
            role=row.role,
            fund=row.fund,
            skills=tuple(row.skills),
            password_hash=row.password_hash,
            active=row.active,
            created_at=row.created_at,
        )

    @staticmethod
    def _values(agent: Agent) -> dict[str, Any]:
        return {
            "id": agent.id,
            "email": agent.email.lower(),
            "given_name": agent.given_name,
            "family_name": agent.family_name,
            "role": agent.role,
            "fund": agent.fund,
            "skills": list(agent.skills),
            "password_hash": agent.password_hash,
            "active": agent.active,
            "created_at": agent.created_at,
        }

    async def get(self, agent_id: uuid.UUID, *, for_update: bool = False) -> Agent | None:
        query = select(AGENTS).where(AGENTS.c.id == agent_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).first()
        return self._from_row(row) if row else None

    async def get_by_email(self, email: str) -> Agent | None:
        row = (
            await self._session.execute(select(AGENTS).where(AGENTS.c.email == email.lower()))
        ).first()
        return self._from_row(row) if row else None

    async def list(self, *, fund: str | None = None) -> list[Agent]:
        query = select(AGENTS).order_by(AGENTS.c.fund, AGENTS.c.family_name, AGENTS.c.given_name)
        if fund is not None:
            query = query.where(AGENTS.c.fund == fund)
        return [self._from_row(row) for row in await self._session.execute(query)]

    async def add(self, agent: Agent, *, now: datetime) -> bool:
        """Create the agent; False when an agent already has the address (a double
        submission: the unique address decides, not a read before the insert)."""
        created = await self._session.scalar(
            insert(AGENTS)
            .values(self._values(agent) | {"updated_at": now})
            .on_conflict_do_nothing(index_elements=[AGENTS.c.email])
            .returning(AGENTS.c.id)
        )
        return created is not None

    async def save_changes(self, before: Agent, after: Agent, *, now: datetime) -> None:
        """Write what differs between ``before`` (as read, the row locked) and ``after``,
        and nothing else: a column another request changed is never written back."""
        changes = changed_values(self._values(before), self._values(after))
        if changes:
            await self._session.execute(
                update(AGENTS).where(AGENTS.c.id == before.id).values(changes | {"updated_at": now})
            )
