"""One member at a time: what touches a member's contact and their waiting emails."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import BindParameter, Uuid, bindparam, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.orm import CONTACTS, FORGOTTEN_MEMBERS, PREFERENCES


async def lock_member(session: AsyncSession, member_id: uuid.UUID) -> None:
    """Serialise, until the transaction ends, what touches one member's contact and their
    waiting emails: an email found without contact and the contact arriving at the same
    moment cannot miss each other."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('notifier.member'), hashtext(:member))"),
        {"member": str(member_id)},
    )


@dataclass(frozen=True)
class KnownMember:
    """What the notifier knows of a member when an email is asked for."""

    #: Their contact (where to write) is known.
    has_contact: bool
    #: They want the emails about their threads (the default when they never chose).
    thread_emails: bool
    #: Their account was deleted (see ``ContactRepository.is_forgotten``).
    forgotten: bool


_MEMBER: BindParameter[uuid.UUID] = bindparam("member_id", type_=Uuid)

#: Built once: the same statement, compiled and prepared once, for every email asked for.
_KNOWN = select(
    exists().where(CONTACTS.c.member_id == _MEMBER).label("has_contact"),
    select(PREFERENCES.c.thread_emails)
    .where(PREFERENCES.c.member_id == _MEMBER)
    .scalar_subquery()
    .label("thread_emails"),
    exists().where(FORGOTTEN_MEMBERS.c.member_id == _MEMBER).label("forgotten"),
)


async def known_member(session: AsyncSession, member_id: uuid.UUID) -> KnownMember:
    """The member's contact, choice of thread emails and deletion, read in one round trip
    (under ``lock_member``, taken before: a statement reads what was committed when it
    started, so the lock cannot be taken by the same statement)."""
    row = (await session.execute(_KNOWN, {"member_id": member_id})).one()
    return KnownMember(
        has_contact=bool(row.has_contact),
        thread_emails=row.thread_emails is not False,
        forgotten=bool(row.forgotten),
    )
