"""What an admin (or the reference loader) asks of the catalog. Edits change the draft;
``Publish`` makes the draft a new numbered version."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from catalog.domain.model import Catalog


class Keep(enum.Enum):
    """A field left as it is (``None`` may be a real value, e.g. no parent)."""

    KEEP = "keep"


KEEP = Keep.KEEP


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


@dataclass(frozen=True)
class Publish:
    published_by: uuid.UUID | None


@dataclass(frozen=True)
class LoadReference:
    """Make the draft the reference data (keeping, deactivated, what it no longer lists) and
    publish it when it differs from the latest version. With ``only_if_unpublished``, do
    nothing once any version exists: a deployment may then run it every time without undoing
    what admins published."""

    catalog: Catalog
    only_if_unpublished: bool = False
