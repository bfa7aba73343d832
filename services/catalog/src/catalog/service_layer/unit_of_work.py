"""The catalog's unit of work: the draft and the versions, in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from catalog.adapters.repository import DraftRepository, VersionRepository
from servicekit.db import UnitOfWork


class CatalogUnitOfWork(UnitOfWork):
    drafts: DraftRepository
    versions: VersionRepository

    def on_enter(self) -> None:
        self.drafts = DraftRepository(self.session)
        self.versions = VersionRepository(self.session)


#: What handlers receive as ``uow``: each call opens a new unit of work.
UnitOfWorkFactory = Callable[[], CatalogUnitOfWork]
