"""Editing the draft and publishing it. Each use case runs in one unit of work and commits
once.

Edits take the draft's lock, so concurrent admins queue rather than overwrite each other;
publishing takes it too, so a version is exactly the draft at one moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from catalog.domain import commands
from catalog.domain.changes import diff
from catalog.domain.errors import DraftChanged, NothingToPublish, NotPublishable
from catalog.domain.model import Catalog, Node, OnlineService
from catalog.domain.versions import Origin, Version
from catalog.domain.views import DraftView, EditedNode
from catalog.service_layer.published import LatestVersion
from catalog.service_layer.unit_of_work import CatalogUnitOfWork, UnitOfWorkFactory
from contracts.events.catalog import CatalogPublished
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)

PRODUCER = "catalog"


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
    cmd: commands.EditDraft, *, uow: UnitOfWorkFactory, clock: Clock
) -> EditedNode:
    """Change the draft; with ``expected_revision``, only if nobody changed it since."""
    async with uow() as unit:
        state = await unit.drafts.lock()
        if cmd.expected_revision is not None and cmd.expected_revision != state.revision:
            raise DraftChanged(cmd.expected_revision, state.revision)
        catalog = await unit.drafts.load()
        node = apply_edit(catalog, cmd.edit)
        revision = await unit.drafts.save(catalog, at=clock.now(), by=cmd.by)
        await unit.commit()
    return EditedNode(node=node, revision=revision or state.revision)


async def publish(
    cmd: commands.Publish,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    latest_version: LatestVersion,
) -> Version:
    """Make the draft the next version and announce it with a snapshot event; this replica
    serves it to members at once."""
    async with uow() as unit:
        state = await unit.drafts.lock()
        if cmd.expected_revision is not None and cmd.expected_revision != state.revision:
            raise DraftChanged(cmd.expected_revision, state.revision)
        draft = await unit.drafts.load()
        version = await _publish(
            unit, draft, origin="admin", by=cmd.published_by, at=clock.now(), if_changed=False
        )
        assert version is not None
        await unit.commit()
    latest_version.forget()
    _log_published(version)
    return version


async def load_reference(
    cmd: commands.LoadReference, *, uow: UnitOfWorkFactory, clock: Clock
) -> Version | None:
    """Make the draft the reference data; publish it if it differs from the latest version
    (``None``: it did not, or a version exists and ``only_if_unpublished`` was asked)."""
    async with uow() as unit:
        await unit.drafts.lock()
        if cmd.only_if_unpublished and await unit.versions.latest_number() is not None:
            return None
        draft = (await unit.drafts.load()).replaced_by(cmd.catalog)
        now = clock.now()
        await unit.drafts.save(draft, at=now, by=None)
        version = await _publish(unit, draft, origin="reference", by=None, at=now, if_changed=True)
        await unit.commit()
    if version is not None:
        _log_published(version)
    return version


async def get_draft(cmd: commands.GetDraft, *, uow: UnitOfWorkFactory) -> DraftView:
    """The draft, and what publishing it would change."""
    async with uow() as unit:
        state = await unit.drafts.state()
        catalog = await unit.drafts.load()
        latest = await unit.versions.latest()
    return DraftView(
        catalog=catalog,
        revision=state.revision,
        updated_at=state.updated_at,
        latest=latest,
        changes=diff(latest.catalog if latest else Catalog(), catalog),
    )


def _log_published(version: Version) -> None:
    logger.info(
        "catalog version published",
        version=version.number,
        origin=version.origin,
        changes=version.change_count,
    )


async def _publish(
    unit: CatalogUnitOfWork,
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
    latest = await unit.versions.latest()
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
    await unit.versions.add(version)
    unit.publish(
        CatalogPublished.new(
            producer=PRODUCER,
            occurred_at=at,
            version=version.number,
            published_at=at,
            themes=themes,
        )
    )
    return version
