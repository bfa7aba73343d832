"""Attachments' rows: uploads, the files of messages, scan results, what the cleanup removes.
No commit here: the unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messages.adapters.orm import ATTACHMENTS
from messages.domain.attachments import Attachment, ScanStatus
from servicekit.db import Writes


def _attachment(row: Any) -> Attachment:
    return Attachment(
        id=row.id,
        storage_key=row.storage_key,
        name=row.name,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        fund=row.fund,
        uploader_kind=row.uploader_kind,
        uploader_id=row.uploader_id,
        created_at=row.created_at,
        scan_status=ScanStatus(row.scan_status),
        scanned_at=row.scanned_at,
        thread_id=row.thread_id,
        message_id=row.message_id,
        position=row.position,
        attached_at=row.attached_at,
    )


class AttachmentRepository:
    def __init__(self, session: AsyncSession, writes: Writes | None = None) -> None:
        self.session = session
        self.writes = writes or Writes(session, deferred=False)

    async def add(self, attachment: Attachment) -> None:
        await self.session.execute(
            ATTACHMENTS.insert().values(
                id=attachment.id,
                storage_key=attachment.storage_key,
                name=attachment.name,
                media_type=attachment.media_type,
                size=attachment.size,
                sha256=attachment.sha256,
                fund=attachment.fund,
                uploader_kind=attachment.uploader_kind,
                uploader_id=attachment.uploader_id,
                created_at=attachment.created_at,
                scan_status=attachment.scan_status.value,
            )
        )

    async def get(self, attachment_id: uuid.UUID, *, for_update: bool = False) -> Attachment | None:
        query = select(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _attachment(row) if row else None

    async def uploads_of(
        self, uploader_id: uuid.UUID, attachment_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Attachment]:
        """The caller's own uploads among ``attachment_ids``, locked for sending."""
        if not attachment_ids:
            return {}
        rows = await self.session.execute(
            select(ATTACHMENTS)
            .where(
                ATTACHMENTS.c.id.in_(attachment_ids),
                ATTACHMENTS.c.uploader_id == uploader_id,
            )
            .with_for_update()
        )
        return {row.id: _attachment(row) for row in rows}

    async def attach(
        self,
        attachment_ids: Sequence[uuid.UUID],
        *,
        thread_id: uuid.UUID,
        message_id: uuid.UUID,
        at: datetime,
    ) -> None:
        for position, attachment_id in enumerate(attachment_ids):
            await self.writes.add(
                update(ATTACHMENTS)
                .where(ATTACHMENTS.c.id == attachment_id)
                .values(
                    thread_id=thread_id, message_id=message_id, position=position, attached_at=at
                )
            )

    async def of_messages(
        self, message_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Attachment]]:
        """The files of each message, in the order they were sent."""
        found: dict[uuid.UUID, list[Attachment]] = {}
        if not message_ids:
            return found
        rows = await self.session.execute(
            select(ATTACHMENTS)
            .where(ATTACHMENTS.c.message_id.in_(message_ids))
            .order_by(ATTACHMENTS.c.message_id, ATTACHMENTS.c.position)
        )
        for row in rows:
            found.setdefault(row.message_id, []).append(_attachment(row))
        return found

    async def of_thread(self, thread_id: uuid.UUID) -> list[Attachment]:
        """The files sent in a thread, message by message, in the order sent."""
        rows = await self.session.execute(
            select(ATTACHMENTS)
            .where(ATTACHMENTS.c.thread_id == thread_id, ATTACHMENTS.c.message_id.is_not(None))
            .order_by(ATTACHMENTS.c.attached_at, ATTACHMENTS.c.message_id, ATTACHMENTS.c.position)
        )
        return [_attachment(row) for row in rows]

    async def record_scan(
        self, attachment_id: uuid.UUID, status: ScanStatus, at: datetime, storage_key: str
    ) -> None:
        await self.session.execute(
            update(ATTACHMENTS)
            .where(ATTACHMENTS.c.id == attachment_id)
            .values(scan_status=status.value, scanned_at=at, storage_key=storage_key)
        )

    async def remove(self, attachment_id: uuid.UUID) -> None:
        await self.session.execute(delete(ATTACHMENTS).where(ATTACHMENTS.c.id == attachment_id))

    async def expired(self, cutoff: datetime, limit: int) -> list[Attachment]:
        """Uploads never sent and older than ``cutoff``, and files whose message is gone
        (the thread deleted by retention or with the account), locked, skipping rows that
        another replica is removing."""
        rows = await self.session.execute(
            select(ATTACHMENTS)
            .where(
                ATTACHMENTS.c.message_id.is_(None),
                or_(
                    ATTACHMENTS.c.created_at < cutoff,
                    ATTACHMENTS.c.attached_at.is_not(None),
                ),
            )
            .order_by(ATTACHMENTS.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_attachment(row) for row in rows]

    async def uploaded_by(self, uploader_kind: str, uploader_id: uuid.UUID) -> list[Attachment]:
        """Every file one person uploaded, sent or not, locked."""
        rows = await self.session.execute(
            select(ATTACHMENTS)
            .where(
                ATTACHMENTS.c.uploader_kind == uploader_kind,
                ATTACHMENTS.c.uploader_id == uploader_id,
            )
            .with_for_update()
        )
        return [_attachment(row) for row in rows]

    async def count_unattached(self, uploader_id: uuid.UUID, since: datetime) -> int:
        rows = await self.session.execute(
            select(ATTACHMENTS.c.id).where(
                and_(
                    ATTACHMENTS.c.uploader_id == uploader_id,
                    ATTACHMENTS.c.message_id.is_(None),
                    ATTACHMENTS.c.created_at >= since,
                )
            )
        )
        return len(rows.all())
