"""Admin bodies: edits of the draft, and the answers about the draft and the versions, which
are sent whole (every field present, ``null`` when it has no value; ``required`` in the
document)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from catalog.domain.changes import ChangeKind
from catalog.domain.model import Level, Node, OnlineService
from catalog.domain.versions import Origin, Version
from catalog.domain.views import DraftView, EditedNode, VersionChanges, VersionsPage
from catalog.entrypoints.http.schemas.fields import (
    Body,
    Code,
    Description,
    Label,
    ResponseTimeDays,
    Url,
    Whole,
)
from contracts.events import catalog as events
from contracts.funds import FundCode

# ---- admin: edits -------------------------------------------------------------------------


class OnlineServiceIn(Body):
    title: Label
    description: Description = ""
    url: Url
    call_to_action: Label | None = Field(
        default=None, description="Button label; by default « J'utilise le service en ligne »."
    )
    fund_urls: dict[FundCode, Url] | None = Field(
        default=None,
        description="Addresses on funds' own sites, by fund code. Omitted: keep the ones the "
        "node's service has.",
        examples=[{"NPC": "https://nord-pasdecalais.msa.fr/lfp/famille/changement-de-situation"}],
    )


class NodeCreate(Body):
    code: Code
    label: Label
    parent: Code | None = Field(
        default=None,
        description="Code of the theme (for a subject) or subject (for a motif); none for a theme.",
    )
    position: int | None = Field(
        default=None, ge=1, le=10_000, description="1 = first; omitted: last."
    )
    skill: Code | None = Field(
        default=None, description="Motifs: routing skill; by default the theme's code."
    )
    response_time_days: ResponseTimeDays | None = Field(
        default=None, description="Motifs (required for them): target time to answer."
    )
    online_service: OnlineServiceIn | None = None


class NodeUpdate(Body):
    """Only the fields sent change. ``parent`` moves the node (``null``: a theme stays at
    the top); ``position`` reorders it among its siblings."""

    label: Label | None = None
    parent: Code | None = None
    position: int | None = Field(default=None, ge=1, le=10_000)
    active: bool | None = None
    skill: Code | None = None
    response_time_days: ResponseTimeDays | None = None


class FundUrlIn(Body):
    url: Url


# ---- admin: answers (sent whole) ------------------------------------------------------------


class DraftOnlineService(Whole):
    """An online service as the draft holds it: the default address and the funds' own."""

    title: str
    description: str
    url: str
    call_to_action: str
    fund_urls: dict[str, str] = Field(description="Addresses on funds' own sites, by fund code.")

    @classmethod
    def from_domain(cls, service: OnlineService | None) -> DraftOnlineService | None:
        if service is None:
            return None
        return cls(
            title=service.title,
            description=service.description,
            url=service.url,
            call_to_action=service.call_to_action,
            fund_urls=dict(service.fund_urls),
        )


class DraftNode(Whole):
    code: str
    level: Level
    label: str
    parent: str | None
    order: int
    active: bool
    skill: str | None = Field(description="Motifs: which agents answer it; null otherwise.")
    response_time_days: int | None = Field(description="Motifs: target, in working days.")
    online_service: DraftOnlineService | None

    @classmethod
    def from_domain(cls, node: Node) -> DraftNode:
        return cls(
            code=node.code,
            level=node.level,
            label=node.label,
            parent=node.parent,
            order=node.position,
            active=node.active,
            skill=node.skill,
            response_time_days=node.response_time_days,
            online_service=DraftOnlineService.from_domain(node.online_service),
        )


class NodeEdited(Whole):
    revision: int = Field(description="The draft's revision after the edit (its ETag).")
    node: DraftNode

    @classmethod
    def from_domain(cls, edited: EditedNode) -> NodeEdited:
        return cls(revision=edited.revision, node=DraftNode.from_domain(edited.node))


ChangeValue = str | int | list[str] | DraftOnlineService | None


class ChangePublic(Whole):
    """One difference. ``before``/``after``: added/removed: the parent code; renamed: the
    labels; moved: the parent codes; reordered: the children's codes in order; skill and
    response-time changes: the values; online-service changes: the service."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    kind: ChangeKind
    code: str | None = Field(description="The node; null for the order of the themes.")
    level: Level | None
    label: str
    before: ChangeValue = None
    after: ChangeValue = None


class DraftPublic(Whole):
    revision: int = Field(description="Incremented by each edit; send it as If-Match to edit.")
    updated_at: datetime | None
    based_on_version: int | None = Field(description="The latest published version.")
    changes: list[ChangePublic] = Field(description="What publishing would change.")
    themes: list[events.Theme] = Field(description="The whole draft, inactive nodes included.")

    @classmethod
    def from_domain(cls, draft: DraftView) -> DraftPublic:
        return cls(
            revision=draft.revision,
            updated_at=draft.updated_at,
            based_on_version=draft.latest.number if draft.latest else None,
            changes=[ChangePublic.model_validate(change) for change in draft.changes],
            themes=list(draft.catalog.to_themes()),
        )


class VersionPublic(Whole):
    version: int
    published_at: datetime
    published_by: uuid.UUID | None = Field(description="The admin; null for reference data.")
    origin: Origin
    change_count: int = Field(description="Changes since the previous version.")

    @classmethod
    def _fields_of(cls, version: Version) -> dict[str, Any]:
        return {
            "version": version.number,
            "published_at": version.published_at,
            "published_by": version.published_by,
            "origin": version.origin,
            "change_count": version.change_count,
        }

    @classmethod
    def from_domain(cls, version: Version) -> VersionPublic:
        return cls(**cls._fields_of(version))


class VersionsPublic(Whole):
    data: list[VersionPublic] = Field(description="Newest first.")
    next_cursor: int | None = Field(description="Pass as `before` for the next page.")

    @classmethod
    def from_domain(cls, page: VersionsPage) -> VersionsPublic:
        return cls(
            data=[VersionPublic.from_domain(version) for version in page.versions],
            next_cursor=page.next_cursor,
        )


class VersionDetail(VersionPublic):
    themes: list[events.Theme] = Field(description="The whole version, inactive nodes included.")

    @classmethod
    def from_domain(cls, version: Version) -> VersionDetail:
        return cls(**cls._fields_of(version), themes=list(version.themes))


class ChangesPublic(Whole):
    from_version: int
    to_version: int
    data: list[ChangePublic]

    @classmethod
    def from_domain(cls, compared: VersionChanges) -> ChangesPublic:
        return cls(
            from_version=compared.from_version,
            to_version=compared.to_version,
            data=[ChangePublic.model_validate(change) for change in compared.changes],
        )
