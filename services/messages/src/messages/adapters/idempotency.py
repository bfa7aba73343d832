"""Idempotency keys: a sending request's key, held in its transaction, and its response.
No commit here: the unit of work commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import IDEMPOTENCY_KEYS
from servicekit.db import Writes


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status_code: int | None
    response: dict[str, Any] | None


class IdempotencyKeyRepository:
    def __init__(self, session: AsyncSession, writes: Writes | None = None) -> None:
        self.session = session
        self.writes = writes or Writes(session, deferred=False)

    async def claim(
        self, principal_id: uuid.UUID, key: str, fingerprint: str
    ) -> StoredResponse | None:
        """Hold ``key`` for this request, or return what an earlier request with it stored.

        The insert waits for a concurrent transaction holding the same key; once that one
        has committed, its stored response is returned here."""
        stored, _ = await self.claim_taking(principal_id, key, fingerprint, None)
        return stored

    async def claim_taking(
        self,
        principal_id: uuid.UUID,
        key: str,
        fingerprint: str,
        taking: ColumnElement[Any] | None,
    ) -> tuple[StoredResponse | None, Any]:
        """``claim``, and when the key is new, the value of ``taking`` computed by the same
        statement (a sequence's next number: not taken for a repeat)."""
        returning: list[ColumnElement[Any]] = [IDEMPOTENCY_KEYS.c.key]
        if taking is not None:
            returning.append(taking.label("taken"))
        inserted = (
            await self.session.execute(
                insert(IDEMPOTENCY_KEYS)
                .values(principal_id=principal_id, key=key, fingerprint=fingerprint)
                .on_conflict_do_nothing()
                .returning(*returning)
            )
        ).first()
        if inserted is not None:
            return None, inserted[1] if taking is not None else None
        row = (
            await self.session.execute(
                select(
                    IDEMPOTENCY_KEYS.c.fingerprint,
                    IDEMPOTENCY_KEYS.c.status_code,
                    IDEMPOTENCY_KEYS.c.response,
                ).where(
                    IDEMPOTENCY_KEYS.c.principal_id == principal_id, IDEMPOTENCY_KEYS.c.key == key
                )
            )
        ).one()
        return StoredResponse(row.fingerprint, row.status_code, row.response), None

    async def store_response(
        self, principal_id: uuid.UUID, key: str, status_code: int, response: dict[str, Any]
    ) -> None:
        await self.writes.add(
            update(IDEMPOTENCY_KEYS)
            .where(IDEMPOTENCY_KEYS.c.principal_id == principal_id, IDEMPOTENCY_KEYS.c.key == key)
            .values(status_code=status_code, response=response)
        )

    async def forget_before(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
