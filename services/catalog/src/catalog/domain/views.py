"""What the catalog's queries and edits answer: read models, mapped once to HTTP bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from catalog.domain.changes import Change
from catalog.domain.model import Catalog, Node
from catalog.domain.versions import Located, Version


@dataclass(frozen=True)
class EditedNode:
    """A node as an edit left it, and the draft's revision after the edit."""

    node: Node
    revision: int


@dataclass(frozen=True)
class DraftView:
    """The draft, the version it is based on, and what publishing it would change."""

    catalog: Catalog
    revision: int
    updated_at: datetime | None
    latest: Version | None
    changes: list[Change]


@dataclass(frozen=True)
class VersionsPage:
    """Published versions, newest first; ``next_cursor``: the ``before`` of the next page."""

    versions: list[Version]
    next_cursor: int | None


@dataclass(frozen=True)
class VersionChanges:
    from_version: int
    to_version: int
    changes: list[Change]


@dataclass(frozen=True)
class PublishedTree:
    """The latest version, read for ``fund`` (``None``: the default addresses)."""

    version: Version
    fund: str | None


@dataclass(frozen=True)
class PublishedNode:
    """One node of the latest version, read for ``fund``."""

    version: Version
    fund: str | None
    located: Located
