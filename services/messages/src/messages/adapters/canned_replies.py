"""The funds' canned replies. No commit here: the unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import CANNED_REPLIES
from messages.domain.model import CannedReply


class CannedReplyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, fund: str) -> list[CannedReply]:
        rows = await self.session.execute(
            select(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.fund == fund)
            .order_by(CANNED_REPLIES.c.title, CANNED_REPLIES.c.id)
        )
        return [CannedReply(**row._mapping) for row in rows]

    async def get(self, canned_reply_id: uuid.UUID, fund: str) -> CannedReply | None:
        row = (
            await self.session.execute(
                select(CANNED_REPLIES).where(
                    CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund
                )
            )
        ).first()
        return CannedReply(**row._mapping) if row is not None else None

    async def add(self, canned: CannedReply) -> None:
        await self.session.execute(
            CANNED_REPLIES.insert().values(
                {name: getattr(canned, name) for name in CannedReply.__dataclass_fields__}
            )
        )

    async def update(
        self, canned_reply_id: uuid.UUID, fund: str, values: Mapping[str, Any]
    ) -> bool:
        result = await self.session.execute(
            update(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund)
            .values(dict(values))
            .returning(CANNED_REPLIES.c.id)
        )
        return result.first() is not None

    async def delete(self, canned_reply_id: uuid.UUID, fund: str) -> bool:
        result = await self.session.execute(
            delete(CANNED_REPLIES)
            .where(CANNED_REPLIES.c.id == canned_reply_id, CANNED_REPLIES.c.fund == fund)
            .returning(CANNED_REPLIES.c.id)
        )
        return result.first() is not None
