"""The catalog's use cases. Each runs in one unit of work and commits once.

Edits take the draft's lock, so concurrent admins queue rather than overwrite each other;
publishing takes it too, so a version is exactly the draft at one moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from catalog.domain import commands
from catalog.domain.changes import Change, diff
from catalog.domain.errors import (
    DraftChanged,
    NothingToPublish,
    NotPublishable,
    VersionNotFound,
)
from catalog.domain.model import Catalog, Node, OnlineService, Origin, Version
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from contracts.events.catalog import CatalogPublished
from servicekit.logging import get_logger

logger = get_logger(__name__)

Clock = Callable[[], datetime]

PRODUCER = "catalog"


@dataclass(frozen=True)
class EditResult:
    node: Node
    revision: int


@dataclass(frozen=True)
class DraftView:
    catalog: Catalog
    revision: int
    updated_at: datetime | None
    latest: Version | None
    changes: list[Change]


def _online_service(
    spec: commands.OnlineServiceSpec, current: OnlineService | None
) -> OnlineService:
    fund_urls = spec.fund_urls
    if fund_urls is None:
        fund_urls = current.fund_urls if current is not None else {}
    return OnlineService.create(
        title=spec.title,
        url=spec.url,
        description=spec.description,
        call_to_action=spec.call_to_action,
        fund_urls=fund_urls,
    )


def apply_edit(catalog: Catalog, edit: commands.DraftEdit) -> Node:
    """Apply one admin edit to ``catalog`` (pure: the draft in memory)."""
    match edit:
        case commands.CreateNode():
            return catalog.add(
                code=edit.code,
                label=edit.label,
                parent=edit.parent,
                position=edit.position,
                skill=edit.skill,
                response_time_days=edit.response_time_days,
                online_service=None
                if edit.online_service is None
                else _online_service(edit.online_service, None),
            )
        case commands.ChangeNode():
            node = catalog.get(edit.code)
            if edit.label is not None:
                catalog.rename(edit.code, edit.label)
            if edit.parent is not commands.KEEP or edit.position is not None:
                parent = node.parent if edit.parent is commands.KEEP else edit.parent
                catalog.move(edit.code, parent=parent, position=edit.position)
            if edit.skill is not None or edit.response_time_days is not None:
                catalog.set_routing(
                    edit.code, skill=edit.skill, response_time_days=edit.response_time_days
                )
            if edit.active is not None:
                catalog.set_active(edit.code, edit.active)
            return node
        case commands.AttachOnlineService():
            current = catalog.get(edit.code).online_service
            return catalog.attach_online_service(edit.code, _online_service(edit.service, current))
        case commands.RemoveOnlineService():
            return catalog.remove_online_service(edit.code)
        case commands.SetFundUrl():
            return catalog.set_fund_url(edit.code, edit.fund, edit.url)
        case commands.RemoveFundUrl():
            return catalog.remove_fund_url(edit.code, edit.fund)


async def edit_draft(
    edit: commands.DraftEdit,
    *,
    uow: CatalogUnitOfWork,
    clock: Clock,
    by: uuid.UUID | None,
    expected_revision: int | None = None,
) -> EditResult:
    """Change the draft; with ``expected_revision``, only if nobody changed it since."""
    async with uow:
        state = await uow.drafts.lock()
        if expected_revision is not None and expected_revision != state.revision:
            raise DraftChanged(expected_revision, state.revision)
        catalog = await uow.drafts.load()
        node = apply_edit(catalog, edit)
        revision = await uow.drafts.save(catalog, at=clock(), by=by)
        await uow.commit()
    return EditResult(node=node, revision=revision or state.revision)


async def publish(
    cmd: commands.Publish,
    *,
    uow: CatalogUnitOfWork,
    clock: Clock,
    expected_revision: int | None = None,
) -> Version:
    """Make the draft the next version and announce it with a snapshot event."""
    async with uow:
        state = await uow.drafts.lock()
        if expected_revision is not None and expected_revision != state.revision:
            raise DraftChanged(expected_revision, state.revision)
        draft = await uow.drafts.load()
        version = await _publish(
            uow, draft, origin="admin", by=cmd.published_by, at=clock(), if_changed=False
        )
        assert version is not None
        await uow.commit()
    _log_published(version)
    return version


async def load_reference(
    cmd: commands.LoadReference, *, uow: CatalogUnitOfWork, clock: Clock
) -> Version | None:
    """Make the draft the reference data; publish it if it differs from the latest version
    (``None``: it did not, or a version exists and ``only_if_unpublished`` was asked)."""
    async with uow:
        await uow.drafts.lock()
        if cmd.only_if_unpublished and await uow.versions.latest_number() is not None:
            return None
        draft = (await uow.drafts.load()).replaced_by(cmd.catalog)
        now = clock()
        await uow.drafts.save(draft, at=now, by=None)
        version = await _publish(uow, draft, origin="reference", by=None, at=now, if_changed=True)
        await uow.commit()
    if version is not None:
        _log_published(version)
    return version


def _log_published(version: Version) -> None:
    logger.info(
        "catalog version published",
        version=version.number,
        origin=version.origin,
        changes=version.change_count,
    )


async def _publish(
    uow: CatalogUnitOfWork,
    draft: Catalog,
    *,
    origin: Origin,
    by: uuid.UUID | None,
    at: datetime,
    if_changed: bool,
) -> Version | None:
    problems = draft.publishing_problems()
    if problems:
        raise NotPublishable(problems)
    latest = await uow.versions.latest()
    themes = draft.to_themes()
    if latest is not None and latest.same_content_as(themes):
        if if_changed:
            return None
        raise NothingToPublish(latest.number)
    version = Version(
        number=(latest.number if latest else 0) + 1,
        published_at=at,
        published_by=by,
        origin=origin,
        change_count=len(diff(latest.catalog if latest else Catalog(), draft)),
        themes=themes,
    )
    await uow.versions.add(version)
    uow.publish(
        CatalogPublished.new(
            producer=PRODUCER,
            occurred_at=at,
            version=version.number,
            published_at=at,
            themes=themes,
        )
    )
    return version


# ---- queries (no commit) -------------------------------------------------------------------


async def get_draft(*, uow: CatalogUnitOfWork) -> DraftView:
    """The draft, and what publishing it would change."""
    async with uow:
        state = await uow.drafts.state()
        catalog = await uow.drafts.load()
        latest = await uow.versions.latest()
    return DraftView(
        catalog=catalog,
        revision=state.revision,
        updated_at=state.updated_at,
        latest=latest,
        changes=diff(latest.catalog if latest else Catalog(), catalog),
    )


async def list_versions(*, uow: CatalogUnitOfWork, before: int | None, limit: int) -> list[Version]:
    async with uow:
        return await uow.versions.list(before=before, limit=limit)


async def get_version(number: int, *, uow: CatalogUnitOfWork) -> Version:
    async with uow:
        version = await uow.versions.get(number)
    if version is None:
        raise VersionNotFound(number)
    return version


async def changes_between(old: int, new: int, *, uow: CatalogUnitOfWork) -> list[Change]:
    """What changed from version ``old`` to version ``new`` (either may be the older; 0 is
    the empty catalog before the first version)."""
    async with uow:
        before = await uow.versions.get(old) if old else None
        after = await uow.versions.get(new) if new else None
    if old and before is None:
        raise VersionNotFound(old)
    if new and after is None:
        raise VersionNotFound(new)
    return diff(
        before.catalog if before else Catalog(),
        after.catalog if after else Catalog(),
    )
