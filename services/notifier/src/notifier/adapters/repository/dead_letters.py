"""The notifier's dead letters still waiting in the outbox."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.topics import NOTIFIER_DEAD_LETTER
from notifier.domain.personal_data import erase_addresses, forgotten_payload
from servicekit.outbox import OUTBOX


class DeadLetterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forget_member(self, member_id: uuid.UUID) -> int:
        """The notifier's dead letters about the member still in the outbox (published ones
        stay there a few days): their event reduced as a forgotten delivery's is, the
        addresses erased from their reason. Returns how many were changed."""
        rows = (
            await self.session.execute(
                select(OUTBOX.c.id, OUTBOX.c.payload)
                .where(
                    OUTBOX.c.topic == NOTIFIER_DEAD_LETTER.name,
                    OUTBOX.c.payload["source"]["member_id"].astext == str(member_id),
                )
                .with_for_update()
            )
        ).all()
        if not rows:
            return 0
        await self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("row_id"))
            .values(payload=bindparam("erased", type_=JSONB))
            .execution_options(synchronize_session=False),
            [
                {
                    "row_id": row.id,
                    "erased": row.payload
                    | {
                        "source": forgotten_payload(row.payload["source"]),
                        "reason": erase_addresses(row.payload.get("reason")),
                    },
                }
                for row in rows
            ],
        )
        return len(rows)
