"""Reading the history: published versions and what changed between two of them."""

from __future__ import annotations

from catalog.domain import commands
from catalog.domain.changes import diff
from catalog.domain.errors import VersionNotFound
from catalog.domain.model import Catalog
from catalog.domain.versions import Version
from catalog.domain.views import VersionChanges, VersionsPage
from catalog.service_layer.unit_of_work import UnitOfWorkFactory


async def list_versions(cmd: commands.ListVersions, *, uow: UnitOfWorkFactory) -> VersionsPage:
    async with uow() as unit:
        versions = await unit.versions.list(before=cmd.before, limit=cmd.limit + 1)
    page = versions[: cmd.limit]
    return VersionsPage(
        versions=page, next_cursor=page[-1].number if len(versions) > cmd.limit else None
    )


async def get_version(cmd: commands.GetVersion, *, uow: UnitOfWorkFactory) -> Version:
    async with uow() as unit:
        version = await unit.versions.get(cmd.version)
    if version is None:
        raise VersionNotFound(cmd.version)
    return version


async def compare_versions(
    cmd: commands.CompareVersions, *, uow: UnitOfWorkFactory
) -> VersionChanges:
    """What changed from version ``since`` to ``version`` (either may be the older; 0 is the
    empty catalog before the first version)."""
    old = cmd.version - 1 if cmd.since is None else cmd.since
    new = cmd.version
    async with uow() as unit:
        before = await unit.versions.get(old) if old else None
        after = await unit.versions.get(new) if new else None
    if old and before is None:
        raise VersionNotFound(old)
    if new and after is None:
        raise VersionNotFound(new)
    changes = diff(
        before.catalog if before else Catalog(),
        after.catalog if after else Catalog(),
    )
    return VersionChanges(from_version=old, to_version=new, changes=changes)
