"""Idempotency keys: a sending request's key, held in its transaction, and its response.
No commit here: the unit of work commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Text, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import IDEMPOTENCY_KEYS
from servicekit.db import Prepared, Writes, named


@dataclass(frozen=True)
class StoredResponse:
    fingerprint: str
    status_code: int | None
    response: dict[str, Any] | None


def _column(name: str) -> BindParameter[Any]:
    return named("idempotency_", name, IDEMPOTENCY_KEYS.c[name].type)


#: The response kept with its key: the same statement at every send.
_STORE_RESPONSE = Prepared(
    update(IDEMPOTENCY_KEYS)
    .where(
        IDEMPOTENCY_KEYS.c.principal_id == _column("principal_id"),
        IDEMPOTENCY_KEYS.c.key == _column("key"),
    )
    .values(status_code=_column("status_code"), response=_column("response")),
    "idempotency_",
)


#: The key held for a request (nothing when an earlier one holds it): built once, the same
#: statement at every send; with the next number of a sequence named by a parameter.
_HOLD = (
    insert(IDEMPOTENCY_KEYS)
    .values(
        principal_id=bindparam("principal_id", type_=IDEMPOTENCY_KEYS.c.principal_id.type),
        key=bindparam("key", type_=IDEMPOTENCY_KEYS.c.key.type),
        fingerprint=bindparam("fingerprint", type_=IDEMPOTENCY_KEYS.c.fingerprint.type),
    )
    .on_conflict_do_nothing()
)
_CLAIM_TAKING = _HOLD.returning(
    IDEMPOTENCY_KEYS.c.key, func.nextval(bindparam("sequence", type_=Text)).label("taken")
)
_CLAIM = _HOLD.returning(IDEMPOTENCY_KEYS.c.key)


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
        self, principal_id: uuid.UUID, key: str, fingerprint: str, sequence: str | None
    ) -> tuple[StoredResponse | None, int | None]:
        """``claim``, and when the key is new, the next number of ``sequence`` taken by the
        same statement (none for a repeat)."""
        inserted = (
            await self.session.execute(
                _CLAIM if sequence is None else _CLAIM_TAKING,
                {"principal_id": principal_id, "key": key, "fingerprint": fingerprint}
                | ({"sequence": sequence} if sequence is not None else {}),
            )
        ).first()
        if inserted is not None:
            return None, inserted[1] if sequence is not None else None
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
            _STORE_RESPONSE.bind(
                {
                    "principal_id": principal_id,
                    "key": key,
                    "status_code": status_code,
                    "response": response,
                }
            )
        )

    async def forget_before(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.created_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
