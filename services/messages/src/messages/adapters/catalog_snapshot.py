"""The latest catalog snapshot the service received. No commit here: the unit of work commits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import CATALOG_SNAPSHOT


class CatalogSnapshotRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> Mapping[Any, Any] | None:
        row = (
            await self.session.execute(
                select(CATALOG_SNAPSHOT.c.version, CATALOG_SNAPSHOT.c.payload).where(
                    CATALOG_SNAPSHOT.c.id == 1
                )
            )
        ).first()
        return row._mapping if row is not None else None

    async def version(self) -> int | None:
        version: int | None = await self.session.scalar(
            select(CATALOG_SNAPSHOT.c.version).where(CATALOG_SNAPSHOT.c.id == 1)
        )
        return version

    async def save(self, *, version: int, published_at: datetime, payload: dict[str, Any]) -> bool:
        """Keep this snapshot unless a newer one is held; True if it was kept."""
        inserted = insert(CATALOG_SNAPSHOT).values(
            id=1, version=version, published_at=published_at, payload=payload
        )
        statement = inserted.on_conflict_do_update(
            index_elements=[CATALOG_SNAPSHOT.c.id],
            set_={
                "version": inserted.excluded.version,
                "published_at": inserted.excluded.published_at,
                "payload": inserted.excluded.payload,
                "received_at": func.now(),
            },
            where=CATALOG_SNAPSHOT.c.version < inserted.excluded.version,
        ).returning(CATALOG_SNAPSHOT.c.version)
        return (await self.session.execute(statement)).first() is not None
