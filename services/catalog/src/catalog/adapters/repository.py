"""Reading and writing the draft and the published versions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.adapters.orm import DRAFT, DRAFT_NODES, DRAFT_ONLINE_SERVICES, VERSIONS
from catalog.domain.model import Catalog, Node, OnlineService
from catalog.domain.versions import Version, themes_json
from contracts.events import catalog as events

_THEMES = TypeAdapter(tuple[events.Theme, ...])


@dataclass(frozen=True)
class DraftState:
    revision: int
    updated_at: datetime | None
    updated_by: uuid.UUID | None


def _node_row(node: Node) -> dict[str, Any]:
    return {
        "code": node.code,
        "level": node.level,
        "parent_code": node.parent,
        "label": node.label,
        "position": node.position,
        "active": node.active,
        "skill": node.skill,
        "response_time_days": node.response_time_days,
    }


def _service_row(code: str, service: OnlineService) -> dict[str, Any]:
    return {
        "node_code": code,
        "title": service.title,
        "description": service.description,
        "url": service.url,
        "call_to_action": service.call_to_action,
        "fund_urls": dict(service.fund_urls),
    }


class DraftRepository:
    """The draft as a ``Catalog``. ``save`` writes only what changed since ``load``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._loaded_nodes: dict[str, dict[str, Any]] = {}
        self._loaded_services: dict[str, dict[str, Any]] = {}

    async def lock(self) -> DraftState:
        """Take the draft's lock until the end of the transaction: edits queue up."""
        return await self._state(for_update=True)

    async def state(self) -> DraftState:
        return await self._state(for_update=False)

    async def _state(self, *, for_update: bool) -> DraftState:
        query = select(DRAFT.c.revision, DRAFT.c.updated_at, DRAFT.c.updated_by)
        row = (await self.session.execute(query.with_for_update() if for_update else query)).one()
        return DraftState(row.revision, row.updated_at, row.updated_by)

    async def load(self) -> Catalog:
        services = {
            row.node_code: dict(row._mapping)
            for row in await self.session.execute(select(DRAFT_ONLINE_SERVICES))
        }
        nodes = [
            Node(
                code=row.code,
                level=row.level,
                label=row.label,
                parent=row.parent_code,
                position=row.position,
                active=row.active,
                skill=row.skill,
                response_time_days=row.response_time_days,
                online_service=_service_from_row(services.get(row.code)),
            )
            for row in await self.session.execute(select(DRAFT_NODES))
        ]
        self._loaded_nodes = {node.code: _node_row(node) for node in nodes}
        self._loaded_services = services
        return Catalog(nodes)

    async def save(self, catalog: Catalog, *, at: datetime, by: uuid.UUID | None) -> int | None:
        """Write the changes and return the draft's new revision (``None``: nothing changed)."""
        nodes = {node.code: _node_row(node) for node in catalog}
        services = {
            node.code: _service_row(node.code, node.online_service)
            for node in catalog
            if node.online_service is not None
        }
        changed_nodes = [row for code, row in nodes.items() if self._loaded_nodes.get(code) != row]
        if changed_nodes:
            statement = insert(DRAFT_NODES)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[DRAFT_NODES.c.code],
                    set_={
                        column: statement.excluded[column]
                        for column in changed_nodes[0]
                        if column != "code"
                    },
                ),
                changed_nodes,
            )
        removed_nodes = set(self._loaded_nodes) - set(nodes)
        removed_services = (set(self._loaded_services) - set(services)) | removed_nodes
        if removed_services:
            await self.session.execute(
                DRAFT_ONLINE_SERVICES.delete().where(
                    DRAFT_ONLINE_SERVICES.c.node_code.in_(sorted(removed_services))
                )
            )
        if removed_nodes:
            await self.session.execute(
                DRAFT_NODES.delete().where(DRAFT_NODES.c.code.in_(sorted(removed_nodes)))
            )
        changed_services = [
            row for code, row in services.items() if self._loaded_services.get(code) != row
        ]
        if not (changed_nodes or removed_nodes or removed_services or changed_services):
            return None
        if changed_services:
            statement = insert(DRAFT_ONLINE_SERVICES)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[DRAFT_ONLINE_SERVICES.c.node_code],
                    set_={
                        column: statement.excluded[column]
                        for column in changed_services[0]
                        if column != "node_code"
                    },
                ),
                changed_services,
            )
        self._loaded_nodes, self._loaded_services = nodes, services
        revision: int = (
            await self.session.execute(
                update(DRAFT)
                .values(revision=DRAFT.c.revision + 1, updated_at=at, updated_by=by)
                .returning(DRAFT.c.revision)
            )
        ).scalar_one()
        return revision


def _service_from_row(row: dict[str, Any] | None) -> OnlineService | None:
    if row is None:
        return None
    return OnlineService(
        title=row["title"],
        url=row["url"],
        description=row["description"],
        call_to_action=row["call_to_action"],
        fund_urls=dict(sorted(row["fund_urls"].items())),
    )


class VersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_number(self) -> int | None:
        number: int | None = await self.session.scalar(select(func.max(VERSIONS.c.version)))
        return number

    async def get(self, number: int) -> Version | None:
        row = (
            await self.session.execute(select(VERSIONS).where(VERSIONS.c.version == number))
        ).one_or_none()
        return None if row is None else _version(row)

    async def latest(self) -> Version | None:
        row = (
            await self.session.execute(
                select(VERSIONS).order_by(VERSIONS.c.version.desc()).limit(1)
            )
        ).one_or_none()
        return None if row is None else _version(row)

    async def list(self, *, before: int | None, limit: int) -> list[Version]:
        """Newest first, without their trees (``themes`` is empty)."""
        query = select(
            VERSIONS.c.version,
            VERSIONS.c.published_at,
            VERSIONS.c.published_by,
            VERSIONS.c.origin,
            VERSIONS.c.change_count,
        )
        if before is not None:
            query = query.where(VERSIONS.c.version < before)
        rows = await self.session.execute(query.order_by(VERSIONS.c.version.desc()).limit(limit))
        return [
            Version(
                number=row.version,
                published_at=row.published_at,
                published_by=row.published_by,
                origin=row.origin,
                change_count=row.change_count,
                themes=(),
            )
            for row in rows
        ]

    async def add(self, version: Version) -> None:
        await self.session.execute(
            VERSIONS.insert().values(
                version=version.number,
                published_at=version.published_at,
                published_by=version.published_by,
                origin=version.origin,
                change_count=version.change_count,
                themes=themes_json(version.themes),
            )
        )


def _version(row: Any) -> Version:
    return Version(
        number=row.version,
        published_at=row.published_at,
        published_by=row.published_by,
        origin=row.origin,
        change_count=row.change_count,
        themes=_THEMES.validate_python(row.themes),
    )
