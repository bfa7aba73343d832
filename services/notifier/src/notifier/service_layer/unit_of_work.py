"""The notifier's unit of work: its repositories, and waking the delivery worker on commit."""

from __future__ import annotations

from sqlalchemy import text

from notifier.adapters.repository import (
    ContactRepository,
    DeliveryRepository,
    PreferenceRepository,
)
from servicekit.db import UnitOfWork

#: NOTIFY channel a commit that made deliveries due signals, so the worker sends at once.
DELIVERIES_CHANNEL = "notifier_deliveries"


class NotifierUnitOfWork(UnitOfWork):
    contacts: ContactRepository
    deliveries: DeliveryRepository
    preferences: PreferenceRepository

    def on_enter(self) -> None:
        self.contacts = ContactRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.preferences = PreferenceRepository(self.session)
        self._wake_worker = False

    def wake_worker(self) -> None:
        """Tell the delivery workers, once this commits, that something is due."""
        self._wake_worker = True

    async def commit(self) -> None:
        if self._wake_worker:
            # Delivered to the workers' LISTEN only if the transaction commits.
            await self.session.execute(text(f"NOTIFY {DELIVERIES_CHANNEL}"))
            self._wake_worker = False
        await super().commit()
