"""The notifier's unit of work: its repositories, and waking the delivery worker on commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection

from notifier.adapters.repository.contacts import ContactRepository
from notifier.adapters.repository.dead_letters import DeadLetterRepository
from notifier.adapters.repository.deliveries import DeliveryRepository
from notifier.adapters.repository.members import (
    KnownMember,
    known_member,
    known_members,
    lock_member,
    lock_members,
)
from notifier.adapters.repository.preferences import PreferenceRepository
from notifier.adapters.repository.processed_events import ProcessedEventRepository
from servicekit.db import UnitOfWork

#: NOTIFY channel a commit that made deliveries due signals, so the worker sends at once.
DELIVERIES_CHANNEL = "notifier_deliveries"


class NotifierUnitOfWork(UnitOfWork):
    contacts: ContactRepository
    deliveries: DeliveryRepository
    preferences: PreferenceRepository
    dead_letters: DeadLetterRepository
    processed_events: ProcessedEventRepository

    def on_enter(self) -> None:
        #: Members locked in this transaction, and what was read of them under the lock.
        self._locked: set[uuid.UUID] = set()
        self._known: dict[uuid.UUID, KnownMember] = {}
        self.contacts = ContactRepository(self.session)
        self.deliveries = DeliveryRepository(self.session, self.writes)
        self.preferences = PreferenceRepository(self.session)
        self.dead_letters = DeadLetterRepository(self.session)
        self.processed_events = ProcessedEventRepository(self.session)

    async def lock_member(self, member_id: uuid.UUID) -> None:
        """Until this transaction ends, nothing else touches the member's contact or their
        waiting emails (see ``repository.members.lock_member``)."""
        if member_id not in self._locked:
            await lock_member(self.session, member_id)
            self._locked.add(member_id)

    async def lock_and_know(self, member_ids: Collection[uuid.UUID]) -> None:
        """``lock_member`` and ``known_member`` for several members at once (the events of
        one poll): two round trips for them all; the calls for each then ask nothing more."""
        new = set(member_ids) - self._locked
        if not new:
            return
        await lock_members(self.session, new)
        self._locked |= new
        self._known |= await known_members(self.session, new)

    async def known_member(self, member_id: uuid.UUID) -> KnownMember:
        """The member's contact, choice and deletion as this transaction sees them (after
        ``lock_member``: they cannot change until it ends)."""
        known = self._known.get(member_id)
        if known is None:
            known = self._known[member_id] = await known_member(self.session, member_id)
        return known

    async def commit(self) -> None:
        await self.deliveries.write_added()
        await super().commit()

    def wake_worker(self) -> None:
        """Tell the delivery workers, once this commits, that something is due."""
        self.notify_on_commit(DELIVERIES_CHANNEL)


#: What handlers take as ``uow``: each call opens a new unit of work.
UnitOfWorkFactory = Callable[[], NotifierUnitOfWork]
