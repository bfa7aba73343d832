"""The security trail: its entries in and out of ``security_events``, newest first."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import SECURITY_EVENTS
from auth.domain.trail import SecurityEvent, TrailQuery


def _event_of(row: Row[Any]) -> SecurityEvent:
    fields = dict(row._mapping)
    return SecurityEvent(**fields | {"details": dict(fields["details"] or {})})


class TrailRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: SecurityEvent) -> None:
        await self._session.execute(SECURITY_EVENTS.insert().values(**asdict(event)))

    async def list(self, query: TrailQuery) -> list[SecurityEvent]:
        """Entries matching ``query``, newest first, after its cursor, ``limit`` at most."""
        table = SECURITY_EVENTS
        statement = select(table)
        if query.fund is not None:
            statement = statement.where(table.c.fund == query.fund)
        if query.kinds:
            statement = statement.where(table.c.kind.in_(query.kinds))
        if query.outcome is not None:
            statement = statement.where(table.c.outcome == query.outcome)
        if query.since is not None:
            statement = statement.where(table.c.occurred_at >= query.since)
        if query.until is not None:
            statement = statement.where(table.c.occurred_at < query.until)
        if query.actor:
            statement = statement.where(_naming(query.actor))
        if query.after is not None:
            statement = statement.where(
                tuple_(table.c.occurred_at, table.c.id) < tuple_(*query.after)
            )
        statement = statement.order_by(table.c.occurred_at.desc(), table.c.id.desc()).limit(
            query.limit
        )
        return [_event_of(row) for row in await self._session.execute(statement)]

    async def prune(self, *, older_than: datetime, limit: int) -> int:
        """Delete up to ``limit`` entries older than ``older_than``; how many went."""
        oldest = (
            select(SECURITY_EVENTS.c.id)
            .where(SECURITY_EVENTS.c.occurred_at < older_than)
            .limit(limit)
            .scalar_subquery()
        )
        result = await self._session.execute(
            delete(SECURITY_EVENTS).where(SECURITY_EVENTS.c.id.in_(oldest))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _naming(actor: str) -> Any:
    """Entries done by, or about, the account ``actor`` names: its id, an agent's email
    (case aside) or a member's masked number."""
    table = SECURITY_EVENTS
    try:
        account = uuid.UUID(actor)
    except ValueError:
        label = actor.strip().lower()
        return or_(
            func.lower(table.c.actor_label) == label, func.lower(table.c.subject_label) == label
        )
    return or_(table.c.actor_id == account, table.c.subject_id == account)
