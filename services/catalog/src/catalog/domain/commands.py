"""What callers ask of the catalog. Admin edits change the draft (``EditDraft``); ``Publish``
makes the draft a new numbered version; queries read the draft, the history, or the latest
version for the member's wizard. Each names, as its type parameter, what answering it returns."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from catalog.domain.model import Catalog
from catalog.domain.versions import Version
from catalog.domain.views import (
    DraftView,
    EditedNode,
    PublishedNode,
    PublishedTree,
    VersionChanges,
    VersionsPage,
)
from servicekit.bus import Command


class Keep(enum.Enum):
    """A field left as it is (``None`` may be a real value, e.g. no parent)."""

    KEEP = "keep"


KEEP = Keep.KEEP


# ---- edits of the draft (what ``EditDraft`` carries) ------------------------------------


@dataclass(frozen=True)
class OnlineServiceSpec:
    title: str
    url: str
    description: str = ""
    call_to_action: str | None = None
    #: ``None``: keep the fund addresses the node's service already has.
    fund_urls: Mapping[str, str] | None = None


@dataclass(frozen=True)
class CreateNode:
    code: str
    label: str
    parent: str | None
    position: int | None = None
    skill: str | None = None
    response_time_days: int | None = None
    online_service: OnlineServiceSpec | None = None


@dataclass(frozen=True)
class ChangeNode:
    """Rename, move or reorder, (de)activate, reroute: only the given fields change."""

    code: str
    label: str | None = None
    parent: str | Keep | None = KEEP
    position: int | None = None
    active: bool | None = None
    skill: str | None = None
    response_time_days: int | None = None


@dataclass(frozen=True)
class AttachOnlineService:
    """Attach an online service to a node, or replace the one it has."""

    code: str
    service: OnlineServiceSpec


@dataclass(frozen=True)
class RemoveOnlineService:
    code: str


@dataclass(frozen=True)
class SetFundUrl:
    code: str
    fund: str
    url: str


@dataclass(frozen=True)
class RemoveFundUrl:
    code: str
    fund: str


DraftEdit = (
    CreateNode | ChangeNode | AttachOnlineService | RemoveOnlineService | SetFundUrl | RemoveFundUrl
)


# ---- the draft and its publication -------------------------------------------------------


@dataclass(frozen=True)
class EditDraft(Command[EditedNode]):
    """Apply one edit to the draft; with ``expected_revision``, only if nobody changed the
    draft since that revision."""

    edit: DraftEdit
    by: uuid.UUID | None
    expected_revision: int | None = None


@dataclass(frozen=True)
class Publish(Command[Version]):
    published_by: uuid.UUID | None
    expected_revision: int | None = None


@dataclass(frozen=True)
class LoadReference(Command[Version | None]):
    """Make the draft the reference data (keeping, deactivated, what it no longer lists) and
    publish it when it differs from the latest version. With ``only_if_unpublished``, do
    nothing once any version exists: a deployment may then run it every time without undoing
    what admins published."""

    catalog: Catalog
    only_if_unpublished: bool = False


@dataclass(frozen=True)
class GetDraft(Command[DraftView]):
    pass


# ---- the history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ListVersions(Command[VersionsPage]):
    """``limit`` versions, newest first, older than ``before`` when given."""

    before: int | None = None
    limit: int = 20


@dataclass(frozen=True)
class GetVersion(Command[Version]):
    version: int


@dataclass(frozen=True)
class CompareVersions(Command[VersionChanges]):
    """What changed from version ``since`` (default: the one before; 0: the empty catalog)
    to ``version``."""

    version: int
    since: int | None = None


# ---- the latest version, for members --------------------------------------------------------


@dataclass(frozen=True)
class GetTree(Command[PublishedTree]):
    """The latest version, read for a fund: the signed-in caller's (``caller_fund``, ``None``
    for an anonymous visitor), else the one an anonymous visitor asks for."""

    asked_fund: str | None = None
    caller_fund: str | None = None


@dataclass(frozen=True)
class GetBranch(Command[PublishedNode]):
    """A node a member can choose now (404 when it, or a node above it, is inactive)."""

    code: str
    asked_fund: str | None = None
    caller_fund: str | None = None


@dataclass(frozen=True)
class GetNode(Command[PublishedNode]):
    """Any node of the latest version, active or not."""

    code: str
    asked_fund: str | None = None
    caller_fund: str | None = None
