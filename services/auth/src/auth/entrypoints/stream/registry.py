"""The registry consumer: ``registry.insured-person.v1`` into ``registry_people``.

One consumer group reads the compacted topic from its beginning (a new database holds the
whole registry once it caught up); each record is applied once, in the same transaction as
its event id (``servicekit``'s idempotent consumer), and a tombstone deletes the person.
"""

from __future__ import annotations

from collections.abc import Callable

from auth.service_layer.handlers import registry
from auth.service_layer.unit_of_work import AuthUnitOfWork
from contracts.events.registry import InsuredPersonRegistered
from contracts.topics import INSURED_PERSON
from servicekit.clock import Clock
from servicekit.runtime import ServiceRuntime


def register_registry_consumer(
    runtime: ServiceRuntime, unit_of_work: Callable[[], AuthUnitOfWork], clock: Clock
) -> None:
    async def record(event: InsuredPersonRegistered, transaction: AuthUnitOfWork) -> None:
        await registry.record_insured_person(event, transaction=transaction, clock=clock)

    async def forget(nir: str, transaction: AuthUnitOfWork) -> None:
        await registry.forget_insured_person(nir, transaction=transaction)

    runtime.add_consumer(
        "registry",
        INSURED_PERSON,
        record,
        unit_of_work=unit_of_work,
        on_tombstone=forget,
        auto_offset_reset="earliest",
        description="The registry of covered people: enrolments are checked against it.",
    )
