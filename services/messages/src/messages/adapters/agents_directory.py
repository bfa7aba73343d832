"""The directory of agents, as ``auth.agents.v1`` last told it. No commit here: the unit of
work commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import AGENTS_DIRECTORY
from messages.domain.model import DirectoryAgent


class AgentsDirectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agent_id: uuid.UUID) -> DirectoryAgent | None:
        row = (
            await self.session.execute(
                select(AGENTS_DIRECTORY).where(AGENTS_DIRECTORY.c.agent_id == agent_id)
            )
        ).first()
        if row is None:
            return None
        return DirectoryAgent(
            id=row.agent_id,
            fund=row.fund,
            given_name=row.given_name,
            family_name=row.family_name,
            role=row.role,
            skills=tuple(row.skills),
            active=row.active,
        )

    async def save(self, agent: DirectoryAgent, *, changed_at: datetime) -> bool:
        """Keep this state unless a newer one is held; True if it was kept."""
        values = {
            "agent_id": agent.id,
            "fund": agent.fund,
            "given_name": agent.given_name,
            "family_name": agent.family_name,
            "role": agent.role,
            "skills": list(agent.skills),
            "active": agent.active,
            "changed_at": changed_at,
        }
        inserted = insert(AGENTS_DIRECTORY).values(**values)
        statement = inserted.on_conflict_do_update(
            index_elements=[AGENTS_DIRECTORY.c.agent_id],
            set_={name: inserted.excluded[name] for name in values if name != "agent_id"},
            where=AGENTS_DIRECTORY.c.changed_at <= inserted.excluded.changed_at,
        ).returning(AGENTS_DIRECTORY.c.agent_id)
        return (await self.session.execute(statement)).first() is not None
