"""Retention and housekeeping: removing threads closed long ago, forgetting old keys."""

from __future__ import annotations

from messages.domain.commands import ForgetIdempotencyKeys, PurgeClosedThreads
from messages.domain.views import PurgeReport
from messages.service_layer.unit_of_work import UnitOfWorkFactory
from servicekit.clock import Clock


async def purge_closed_threads(
    cmd: PurgeClosedThreads, *, uow: UnitOfWorkFactory, clock: Clock
) -> PurgeReport:
    """Delete threads closed before ``older_than_years`` years ago, with everything they hold.

    Works in batches, one transaction each, so a large purge never holds long locks."""
    now = clock.now()
    try:
        cutoff = now.replace(year=now.year - cmd.older_than_years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - cmd.older_than_years, day=28)
    if cmd.dry_run:
        async with uow() as unit:
            counts = await unit.retention.count_closed_before(cutoff)
        return PurgeReport(cutoff=cutoff, dry_run=True, **counts)
    totals = {"threads": 0, "messages": 0, "notes": 0, "audit": 0}
    while True:
        async with uow() as unit:
            ids = await unit.retention.closed_threads_before(cutoff, cmd.batch_size)
            if not ids:
                break
            counts = await unit.retention.count_dependents(ids)
            await unit.retention.delete_threads(ids)
            await unit.commit()
        totals["threads"] += len(ids)
        for name, count in counts.items():
            totals[name] += count
    return PurgeReport(cutoff=cutoff, dry_run=False, **totals)


async def forget_idempotency_keys(
    cmd: ForgetIdempotencyKeys, *, uow: UnitOfWorkFactory, clock: Clock
) -> int:
    async with uow() as unit:
        removed = await unit.idempotency_keys.forget_before(clock.now() - cmd.retention)
        await unit.commit()
    return removed
