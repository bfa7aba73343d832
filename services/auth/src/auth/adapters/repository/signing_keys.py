"""The signing keys of the access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.adapters.orm import SIGNING_KEYS
from auth.domain.model import KeyStatus, SigningKey


class KeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self, *, for_update: bool = False) -> list[SigningKey]:
        query = select(SIGNING_KEYS).order_by(SIGNING_KEYS.c.created_at)
        if for_update:
            query = query.with_for_update()
        return [
            SigningKey(
                kid=row.kid,
                status=KeyStatus(row.status),
                private_pem=row.private_pem,
                public_jwk=row.public_jwk,
                created_at=row.created_at,
                activated_at=row.activated_at,
                retired_at=row.retired_at,
            )
            for row in await self._session.execute(query)
        ]

    async def add(self, key: SigningKey) -> None:
        await self._session.execute(
            SIGNING_KEYS.insert().values(
                kid=key.kid,
                status=key.status.value,
                private_pem=key.private_pem,
                public_jwk=key.public_jwk,
                created_at=key.created_at,
                activated_at=key.activated_at,
                retired_at=key.retired_at,
            )
        )

    async def set_status(self, kid: str, status: KeyStatus, now: datetime) -> None:
        values: dict[str, Any] = {"status": status.value}
        if status is KeyStatus.ACTIVE:
            values["activated_at"] = now
        if status is KeyStatus.RETIRED:
            values["retired_at"] = now
        await self._session.execute(
            update(SIGNING_KEYS).where(SIGNING_KEYS.c.kid == kid).values(values)
        )

    async def delete(self, kid: str) -> None:
        await self._session.execute(delete(SIGNING_KEYS).where(SIGNING_KEYS.c.kid == kid))

    async def lock_table(self) -> None:
        """One rotation at a time, across replicas and the command line."""
        await self._session.execute(
            select(func.pg_advisory_xact_lock(func.hashtext("auth.signing_keys")))
        )
