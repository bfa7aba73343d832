"""One member at a time: what touches a member's contact and their waiting emails."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_member(session: AsyncSession, member_id: uuid.UUID) -> None:
    """Serialise, until the transaction ends, what touches one member's contact and their
    waiting emails: an email found without contact and the contact arriving at the same
    moment cannot miss each other."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('notifier.member'), hashtext(:member))"),
        {"member": str(member_id)},
    )
