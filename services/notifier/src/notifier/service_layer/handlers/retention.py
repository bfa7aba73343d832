"""Forgetting what is past its retention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from notifier.config import Settings
from notifier.domain.commands import PurgeExpired, PurgeReport
from notifier.service_layer.unit_of_work import NotifierUnitOfWork, UnitOfWorkFactory


async def purge_expired(
    cmd: PurgeExpired, *, uow: UnitOfWorkFactory, settings: Settings
) -> PurgeReport:
    """Delete the deliveries (``delivery_retention_days``) and the processed event ids
    (``processed_event_retention_days``) past their retention, in batches of one transaction
    each, so that a large purge never holds locks for long. Several replicas may purge at
    once: each skips the rows another one holds."""
    batch_size = cmd.batch_size
    delivery_retention = timedelta(days=settings.delivery_retention_days)
    processed_event_retention = timedelta(days=settings.processed_event_retention_days)

    async def in_batches(delete_batch: Callable[[NotifierUnitOfWork], Awaitable[int]]) -> int:
        total = 0
        while True:
            async with uow() as transaction:
                deleted = await delete_batch(transaction)
                await transaction.commit()
            total += deleted
            if deleted < batch_size:
                return total

    deliveries = await in_batches(
        lambda transaction: transaction.deliveries.delete_finished(
            older_than=delivery_retention, limit=batch_size
        )
    )
    processed_events = await in_batches(
        lambda transaction: transaction.processed_events.delete_older_than(
            processed_event_retention, limit=batch_size
        )
    )
    # An event asked for before a deletion is read after it within the topics' retention:
    # the forgotten members need remembering no longer than the processed event ids.
    forgotten_members = await in_batches(
        lambda transaction: transaction.contacts.delete_forgotten(
            older_than=processed_event_retention, limit=batch_size
        )
    )
    return PurgeReport(
        deliveries=deliveries,
        processed_events=processed_events,
        forgotten_members=forgotten_members,
    )
