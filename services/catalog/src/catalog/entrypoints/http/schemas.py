"""Request and response bodies of the catalog API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from catalog.domain.changes import ChangeKind
from catalog.domain.model import (
    CODE_MAX_LENGTH,
    CODE_PATTERN,
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    RESPONSE_TIME_RANGE,
    Level,
    Origin,
)
from contracts.events.catalog import Theme
from contracts.funds import FundCode

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=CODE_MAX_LENGTH,
        pattern=CODE_PATTERN,
        description="Stable code: lowercase letters, digits and hyphens; unique at every level.",
        examples=["af-changement-situation"],
    ),
]
Label = Annotated[
    str,
    Field(
        min_length=1,
        max_length=LABEL_MAX_LENGTH,
        description="French label shown to members.",
        examples=["Mon changement de situation"],
    ),
]
ResponseTimeDays = Annotated[
    int,
    Field(
        ge=RESPONSE_TIME_RANGE.start,
        le=RESPONSE_TIME_RANGE.stop - 1,
        description="Target time to answer, in working days (weekends and French public "
        "holidays excluded).",
        examples=[10],
    ),
]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="An absolute http(s) address.",
        examples=["https://www.msa.fr/lfp/famille/changement-de-situation"],
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- public -------------------------------------------------------------------------------


class OnlineServicePublic(BaseModel):
    """A self-service page offered instead of writing, its address resolved for the fund."""

    title: str = Field(examples=["Déclarer un changement de situation"])
    description: str
    url: str = Field(
        examples=["https://nord-pasdecalais.msa.fr/lfp/famille/changement-de-situation"]
    )
    call_to_action: str = Field(examples=["J'utilise le service en ligne"])


class MotifPublic(BaseModel):
    code: str
    label: str
    response_time_days: int
    online_service: OnlineServicePublic | None = None


class SubjectPublic(BaseModel):
    code: str
    label: str
    online_service: OnlineServicePublic | None = None
    motifs: list[MotifPublic]


class ThemePublic(BaseModel):
    code: str
    label: str
    online_service: OnlineServicePublic | None = None
    subjects: list[SubjectPublic]


class TreePublic(BaseModel):
    """The active catalog, in display order, for the member's wizard."""

    version: int = Field(description="The published version shown.")
    fund: str | None = Field(
        default=None,
        description="The fund online-service addresses were resolved for (absent: defaults).",
    )
    themes: list[ThemePublic]


class PathItem(BaseModel):
    """A node named in passing: above or below the one asked for."""

    code: str
    level: Level
    label: str
    active: bool


class BranchPublic(BaseModel):
    """A node a member can choose now, with the active nodes below it."""

    version: int
    fund: str | None = Field(default=None, description="As in TreePublic.")
    level: Level
    path: list[PathItem] = Field(description="The nodes above it, theme first.")
    node: ThemePublic | SubjectPublic | MotifPublic


class NodePublic(BaseModel):
    """One node of the latest version, active or not (old messages carry old codes)."""

    version: int
    code: str
    level: Level
    label: str
    order: int
    active: bool = Field(description="The node's own flag.")
    selectable: bool = Field(
        description="A member can choose it now: it and every node above it are active."
    )
    path: list[PathItem] = Field(description="The nodes above it, theme first.")
    online_service: OnlineServicePublic | None = None
    skill: str | None = Field(default=None, description="Motifs: which agents answer it.")
    response_time_days: int | None = Field(
        default=None, description="Motifs: target time to answer, in working days."
    )
    children: list[PathItem] = Field(
        default_factory=list, description="Themes and subjects: the nodes below, all of them."
    )


# ---- admin: edits -------------------------------------------------------------------------


class OnlineServiceIn(_Body):
    title: Label
    description: str = Field(default="", max_length=DESCRIPTION_MAX_LENGTH)
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


class NodeCreate(_Body):
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


class NodeUpdate(_Body):
    """Only the fields sent change. ``parent`` moves the node (``null``: a theme stays at
    the top); ``position`` reorders it among its siblings."""

    label: Label | None = None
    parent: Code | None = None
    position: int | None = Field(default=None, ge=1, le=10_000)
    active: bool | None = None
    skill: Code | None = None
    response_time_days: ResponseTimeDays | None = None


class FundUrlIn(_Body):
    url: Url


# ---- admin: draft, versions, changes ------------------------------------------------------


class NodeEdited(BaseModel):
    revision: int = Field(description="The draft's revision after the edit (its ETag).")
    node: DraftNode


class DraftNode(BaseModel):
    code: str
    level: Level
    label: str
    parent: str | None
    order: int
    active: bool
    skill: str | None
    response_time_days: int | None
    online_service: dict[str, Any] | None = Field(
        description="{title, description, url, call_to_action, fund_urls} or null."
    )


class ChangePublic(BaseModel):
    """One difference. ``before``/``after``: added/removed: the parent code; renamed: the
    labels; moved: the parent codes; reordered: the children's codes in order; skill and
    response-time changes: the values; online-service changes: the service."""

    kind: ChangeKind
    code: str | None = Field(description="The node; null for the order of the themes.")
    level: Level | None
    label: str
    before: str | int | list[str] | dict[str, Any] | None = None
    after: str | int | list[str] | dict[str, Any] | None = None


class DraftPublic(BaseModel):
    revision: int = Field(description="Incremented by each edit; send it as If-Match to edit.")
    updated_at: datetime | None
    based_on_version: int | None = Field(description="The latest published version.")
    changes: list[ChangePublic] = Field(description="What publishing would change.")
    themes: list[Theme] = Field(description="The whole draft, inactive nodes included.")


class VersionPublic(BaseModel):
    version: int
    published_at: datetime
    published_by: uuid.UUID | None = Field(description="The admin; null for reference data.")
    origin: Origin
    change_count: int = Field(description="Changes since the previous version.")


class VersionsPublic(BaseModel):
    data: list[VersionPublic] = Field(description="Newest first.")
    next_cursor: int | None = Field(description="Pass as `before` for the next page.")


class VersionDetail(VersionPublic):
    themes: list[Theme] = Field(description="The whole version, inactive nodes included.")


class ChangesPublic(BaseModel):
    from_version: int
    to_version: int
    data: list[ChangePublic]


NodeEdited.model_rebuild()
