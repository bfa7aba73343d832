"""Brute-force and request counters, one locked row per key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import LOGIN_THROTTLES
from auth.domain.throttling import ThrottleState


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """The states of ``keys``, locked until the transaction ends (tries of one account
        are checked one after the other, never in parallel)."""
        ordered = sorted(set(keys))
        states: dict[str, ThrottleState] = {}
        while len(states) < len(ordered):
            # A row we waited for may be gone when our turn comes (a success cleared the
            # account's failures, the prune dropped it): it is created again.
            await self._session.execute(
                insert(LOGIN_THROTTLES)
                .values([{"key": key} for key in ordered])
                .on_conflict_do_nothing()
            )
            rows = await self._session.execute(
                select(LOGIN_THROTTLES)
                .where(LOGIN_THROTTLES.c.key.in_(ordered))
                .order_by(LOGIN_THROTTLES.c.key)
                .with_for_update()
            )
            states = {
                row.key: ThrottleState(
                    key=row.key,
                    failures=row.failures,
                    last_failure_at=row.last_failure_at,
                    locked_until=row.locked_until,
                )
                for row in rows
            }
        return states

    async def save(self, state: ThrottleState) -> None:
        await self._session.execute(
            update(LOGIN_THROTTLES)
            .where(LOGIN_THROTTLES.c.key == state.key)
            .values(
                failures=state.failures,
                last_failure_at=state.last_failure_at,
                locked_until=state.locked_until,
            )
        )

    async def clear(self, key: str) -> None:
        await self._session.execute(delete(LOGIN_THROTTLES).where(LOGIN_THROTTLES.c.key == key))

    async def prune(self, *, forgotten_before: datetime, now: datetime) -> int:
        """Drop keys with nothing to remember: no lock running, last failure long ago."""
        result = await self._session.execute(
            delete(LOGIN_THROTTLES).where(
                (LOGIN_THROTTLES.c.locked_until.is_(None)) | (LOGIN_THROTTLES.c.locked_until < now),
                (LOGIN_THROTTLES.c.last_failure_at.is_(None))
                | (LOGIN_THROTTLES.c.last_failure_at < forgotten_before),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
