"""One member at a time: what touches a member's contact and their waiting emails."""

from __future__ import annotations

import uuid
from collections.abc import Collection
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


#: ``lock_member`` for several members, in the order of their ids: two transactions
#: locking some of the same members take them in the same order, and never wait on each
#: other in a circle.
_LOCK_MEMBERS = text(
    "SELECT pg_advisory_xact_lock(hashtext('notifier.member'), hashtext(member))"
    " FROM (SELECT member FROM unnest(CAST(:members AS text[])) AS member ORDER BY member)"
    " AS ordered"
)


async def lock_members(session: AsyncSession, member_ids: Collection[uuid.UUID]) -> None:
    """``lock_member`` for each of ``member_ids``, in one round trip."""
    await session.execute(_LOCK_MEMBERS, {"members": sorted(str(member) for member in member_ids)})


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


#: ``_KNOWN`` for several members.
_KNOWN_MANY = text(
    "SELECT member,"
    " EXISTS (SELECT 1 FROM contacts WHERE contacts.member_id = member) AS has_contact,"
    " (SELECT thread_emails FROM preferences WHERE preferences.member_id = member)"
    " AS thread_emails,"
    " EXISTS (SELECT 1 FROM forgotten_members WHERE forgotten_members.member_id = member)"
    " AS forgotten"
    " FROM unnest(CAST(:members AS uuid[])) AS member"
)


async def known_members(
    session: AsyncSession, member_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, KnownMember]:
    """``known_member`` for each of ``member_ids``, in one round trip."""
    rows = await session.execute(_KNOWN_MANY, {"members": list(member_ids)})
    return {
        row.member: KnownMember(
            has_contact=bool(row.has_contact),
            thread_emails=row.thread_emails is not False,
            forgotten=bool(row.forgotten),
        )
        for row in rows
    }


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
