"""The contact projection: where to write to each member, from ``auth.member-contact.v1``,
and the members forgotten (their account deleted)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.events.auth import MemberContactChanged
from notifier.adapters.orm import CONTACTS, FORGOTTEN_MEMBERS
from notifier.domain.model import Recipient


class ContactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, member_id: uuid.UUID) -> Recipient | None:
        row = (
            await self.session.execute(
                select(CONTACTS.c.email, CONTACTS.c.given_name, CONTACTS.c.family_name).where(
                    CONTACTS.c.member_id == member_id
                )
            )
        ).first()
        return Recipient(row.email, row.given_name, row.family_name) if row else None

    async def save(self, contact: MemberContactChanged) -> None:
        """Keep ``contact`` as the member's contact, replacing the one known.

        The last event applied wins, whatever its ``occurred_at``: one member's contact
        events come in order on their partition (the auth service changes a member under
        that member's row lock, and its outbox relay publishes each key's events in order),
        whereas ``occurred_at`` is the clock of whichever auth replica wrote the event, and
        a replica whose clock is behind would make a genuine change look older than the one
        it replaces. A redelivered event is never applied twice (the consumer records event
        ids), so an old event can only come back in a rebuild from the start of the topic,
        which replays the events in order too."""
        values = {
            "member_id": contact.member_id,
            "fund": contact.fund,
            "email": contact.email,
            "given_name": contact.given_name,
            "family_name": contact.family_name,
            "changed_at": contact.occurred_at,
        }
        statement = insert(CONTACTS).values(values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CONTACTS.c.member_id],
                set_={
                    **{name: statement.excluded[name] for name in values},
                    "updated_at": func.now(),
                },
            )
        )
        # Later on the partition than a tombstone: the member exists (again).
        await self.session.execute(
            delete(FORGOTTEN_MEMBERS).where(FORGOTTEN_MEMBERS.c.member_id == contact.member_id)
        )

    async def forget(self, member_id: uuid.UUID) -> None:
        """The member's account was deleted: their contact goes, and the notifier remembers
        that they were forgotten (see ``is_forgotten``)."""
        await self.session.execute(delete(CONTACTS).where(CONTACTS.c.member_id == member_id))
        await self.session.execute(
            insert(FORGOTTEN_MEMBERS)
            .values(member_id=member_id)
            .on_conflict_do_update(
                index_elements=[FORGOTTEN_MEMBERS.c.member_id], set_={"forgotten_at": func.now()}
            )
        )

    async def is_forgotten(self, member_id: uuid.UUID) -> bool:
        """Whether the member's account was deleted: an event read after its tombstone (from
        another topic, whose consumer is behind) must not bring back what was erased."""
        found = await self.session.scalar(
            select(FORGOTTEN_MEMBERS.c.member_id).where(FORGOTTEN_MEMBERS.c.member_id == member_id)
        )
        return found is not None

    async def delete_forgotten(self, *, older_than: timedelta, limit: int) -> int:
        """Stop remembering up to ``limit`` members forgotten longer than ``older_than`` ago."""
        expired = (
            select(FORGOTTEN_MEMBERS.c.member_id)
            .where(FORGOTTEN_MEMBERS.c.forgotten_at < func.now() - older_than)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            delete(FORGOTTEN_MEMBERS)
            .where(FORGOTTEN_MEMBERS.c.member_id.in_(expired))
            .returning(FORGOTTEN_MEMBERS.c.member_id)
        )
        return len(result.all())
