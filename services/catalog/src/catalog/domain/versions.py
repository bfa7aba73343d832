"""Published versions: immutable, numbered from 1, each the whole catalog at one moment."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from catalog.domain.model import Catalog, Level
from contracts.events import catalog as events

Origin = Literal["admin", "reference"]


@dataclass(frozen=True)
class Located:
    """A node of a published version and the nodes above it, theme first."""

    level: Level
    node: events.Theme | events.Subject | events.Motif
    ancestors: tuple[events.Theme | events.Subject, ...]

    @property
    def selectable(self) -> bool:
        """A member can choose it in the wizard: it and everything above it are active."""
        return self.node.active and all(ancestor.active for ancestor in self.ancestors)


@dataclass(frozen=True)
class Version:
    """A published version: immutable, numbered from 1."""

    number: int
    published_at: datetime
    published_by: uuid.UUID | None
    origin: Origin
    #: How many changes it made to the version before it.
    change_count: int
    themes: tuple[events.Theme, ...]

    @cached_property
    def catalog(self) -> Catalog:
        """Its nodes, for lookups and comparisons; callers must not edit it."""
        return Catalog.from_themes(self.themes)

    @cached_property
    def index(self) -> dict[str, Located]:
        """Every node of the version by code, with its ancestors."""
        index: dict[str, Located] = {}
        for theme in self.themes:
            index[theme.code] = Located("theme", theme, ())
            for subject in theme.subjects:
                index[subject.code] = Located("subject", subject, (theme,))
                for motif in subject.motifs:
                    index[motif.code] = Located("motif", motif, (theme, subject))
        return index

    def same_content_as(self, themes: tuple[events.Theme, ...]) -> bool:
        return themes_json(self.themes) == themes_json(themes)


def themes_json(themes: Iterable[events.Theme]) -> list[dict[str, Any]]:
    return [theme.model_dump(mode="json") for theme in themes]
