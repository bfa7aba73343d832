"""The catalog the service holds: stored from ``catalog.snapshot.v1``, kept in memory.

Only one replica of the service consumes each snapshot (one consumer group); every replica
reads the stored snapshot from the database, on first use and whenever its version changes.
"""

from __future__ import annotations

import asyncio

from contracts.events.catalog import CatalogPublished
from messages.domain.catalog import Catalog
from messages.domain.errors import CatalogNotLoaded
from messages.service_layer.unit_of_work import MessagesUnitOfWork, UnitOfWorkFactory
from servicekit.logging import get_logger

logger = get_logger(__name__)

NOT_LOADED = (
    "Le service de messagerie démarre et ne connaît pas encore la liste des thèmes : "
    "réessayez dans quelques instants."
)


class CatalogHolder:
    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work
        self._catalog: Catalog | None = None
        self._lock = asyncio.Lock()

    @property
    def version(self) -> int | None:
        return self._catalog.version if self._catalog is not None else None

    def skill_label(self, skill: str) -> str:
        """The French label of a skill from the catalog in memory; the code until one is."""
        return self._catalog.skill_label(skill) if self._catalog is not None else skill

    def offer(self, snapshot: CatalogPublished) -> None:
        """Use ``snapshot`` if it is newer than the one in memory."""
        if self._catalog is None or snapshot.version > self._catalog.version:
            self._catalog = Catalog(snapshot)
            logger.info("catalog loaded", version=snapshot.version)

    async def current(self) -> Catalog:
        """The latest catalog; ``CatalogNotLoaded`` (503) until one has been received."""
        if self._catalog is None:
            await self.refresh()
        if self._catalog is None:
            raise CatalogNotLoaded("catalog-not-loaded", NOT_LOADED)
        return self._catalog

    async def refresh(self) -> None:
        """Read the stored snapshot if its version differs from the one in memory."""
        async with self._lock:
            async with self._unit_of_work() as uow:
                version = await uow.catalog_snapshot.version()
                if version is None or version == self.version:
                    return
                stored = await uow.catalog_snapshot.get()
            if stored is not None:
                self.offer(CatalogPublished.model_validate(stored["payload"]))

    async def keep_fresh(self, interval: float) -> None:
        """Background task: pick up snapshots another replica stored."""
        while True:
            try:
                await self.refresh()
            except Exception as error:
                logger.warning("catalog refresh failed", error=repr(error))
            await asyncio.sleep(interval)


async def store_catalog_snapshot(
    event: CatalogPublished, uow: MessagesUnitOfWork, *, holder: CatalogHolder
) -> None:
    """Consumer of ``catalog.snapshot.v1``: keep the snapshot unless a newer one is held."""
    kept = await uow.catalog_snapshot.save(
        version=event.version,
        published_at=event.published_at,
        payload=event.model_dump(mode="json"),
    )
    if kept:
        holder.offer(event)
    else:
        logger.info("older catalog snapshot ignored", version=event.version)
