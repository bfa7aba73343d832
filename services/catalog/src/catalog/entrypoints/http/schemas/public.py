"""Public answers: the published catalog for the member's wizard. They leave out what a node
does not have (sent with ``exclude_none``): an optional field is absent, never ``null``."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from catalog.domain.model import Level
from catalog.domain.views import PublishedNode, PublishedTree
from catalog.entrypoints.http.schemas.fields import absent
from contracts.events import catalog as events


class OnlineServicePublic(BaseModel):
    """A self-service page offered instead of writing, its address resolved for the fund."""

    title: str = Field(examples=["Déclarer un changement de situation"])
    description: str
    url: str = Field(
        examples=["https://nord-pasdecalais.msa.fr/lfp/famille/changement-de-situation"]
    )
    call_to_action: str = Field(examples=["J'utilise le service en ligne"])

    @classmethod
    def from_domain(
        cls, service: events.OnlineService | None, fund: str | None
    ) -> OnlineServicePublic | None:
        if service is None:
            return None
        url = service.fund_urls.get(fund) if fund is not None else None
        return cls(
            title=service.title,
            description=service.description,
            url=str(url or service.url),
            call_to_action=service.call_to_action,
        )


class MotifPublic(BaseModel):
    code: str
    label: str
    response_time_days: int
    online_service: OnlineServicePublic | SkipJsonSchema[None] = absent()

    @classmethod
    def from_domain(cls, motif: events.Motif, fund: str | None) -> MotifPublic:
        return cls(
            code=motif.code,
            label=motif.label,
            response_time_days=motif.response_time_days,
            online_service=OnlineServicePublic.from_domain(motif.online_service, fund),
        )


class SubjectPublic(BaseModel):
    code: str
    label: str
    online_service: OnlineServicePublic | SkipJsonSchema[None] = absent()
    motifs: list[MotifPublic] = Field(description="Its active motifs, in display order.")

    @classmethod
    def from_domain(cls, subject: events.Subject, fund: str | None) -> SubjectPublic:
        return cls(
            code=subject.code,
            label=subject.label,
            online_service=OnlineServicePublic.from_domain(subject.online_service, fund),
            motifs=[
                MotifPublic.from_domain(motif, fund) for motif in subject.motifs if motif.active
            ],
        )


class ThemePublic(BaseModel):
    code: str
    label: str
    online_service: OnlineServicePublic | SkipJsonSchema[None] = absent()
    subjects: list[SubjectPublic] = Field(description="Its active subjects, in display order.")

    @classmethod
    def from_domain(cls, theme: events.Theme, fund: str | None) -> ThemePublic:
        return cls(
            code=theme.code,
            label=theme.label,
            online_service=OnlineServicePublic.from_domain(theme.online_service, fund),
            subjects=[
                SubjectPublic.from_domain(subject, fund)
                for subject in theme.subjects
                if subject.active
            ],
        )


class TreePublic(BaseModel):
    """The active catalog, in display order, for the member's wizard."""

    version: int = Field(description="The published version shown.")
    fund: str | SkipJsonSchema[None] = absent(
        "The fund online-service addresses were resolved for (absent: defaults)."
    )
    themes: list[ThemePublic]

    @classmethod
    def from_domain(cls, tree: PublishedTree) -> TreePublic:
        return cls(
            version=tree.version.number,
            fund=tree.fund,
            themes=[
                ThemePublic.from_domain(theme, tree.fund)
                for theme in tree.version.themes
                if theme.active
            ],
        )


class PathItem(BaseModel):
    """A node named in passing: above or below the one asked for."""

    code: str
    level: Level
    label: str
    active: bool

    @classmethod
    def from_domain(cls, node: events.Theme | events.Subject | events.Motif) -> PathItem:
        level: Level = (
            "theme"
            if isinstance(node, events.Theme)
            else "subject"
            if isinstance(node, events.Subject)
            else "motif"
        )
        return cls(code=node.code, level=level, label=node.label, active=node.active)


class BranchPublic(BaseModel):
    """A node a member can choose now, with the active nodes below it."""

    version: int
    fund: str | SkipJsonSchema[None] = absent("As in TreePublic.")
    level: Level
    path: list[PathItem] = Field(description="The nodes above it, theme first.")
    node: ThemePublic | SubjectPublic | MotifPublic = Field(
        description="Shaped as in TreePublic, by its level."
    )

    @classmethod
    def from_domain(cls, found: PublishedNode) -> BranchPublic:
        node = found.located.node
        branch: ThemePublic | SubjectPublic | MotifPublic
        if isinstance(node, events.Theme):
            branch = ThemePublic.from_domain(node, found.fund)
        elif isinstance(node, events.Subject):
            branch = SubjectPublic.from_domain(node, found.fund)
        else:
            branch = MotifPublic.from_domain(node, found.fund)
        return cls(
            version=found.version.number,
            fund=found.fund,
            level=found.located.level,
            path=[PathItem.from_domain(ancestor) for ancestor in found.located.ancestors],
            node=branch,
        )


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
    online_service: OnlineServicePublic | SkipJsonSchema[None] = absent()
    skill: str | SkipJsonSchema[None] = absent("Motifs only: which agents answer it.")
    response_time_days: int | SkipJsonSchema[None] = absent(
        "Motifs only: target time to answer, in working days."
    )
    children: list[PathItem] = Field(
        description="Themes and subjects: the nodes below, all of them (motifs: none)."
    )

    @classmethod
    def from_domain(cls, found: PublishedNode) -> NodePublic:
        node = found.located.node
        children: list[events.Theme | events.Subject | events.Motif] = []
        if isinstance(node, events.Theme):
            children = list(node.subjects)
        elif isinstance(node, events.Subject):
            children = list(node.motifs)
        motif = node if isinstance(node, events.Motif) else None
        return cls(
            version=found.version.number,
            code=node.code,
            level=found.located.level,
            label=node.label,
            order=node.order,
            active=node.active,
            selectable=found.located.selectable,
            path=[PathItem.from_domain(ancestor) for ancestor in found.located.ancestors],
            online_service=OnlineServicePublic.from_domain(node.online_service, found.fund),
            skill=motif.skill if motif else None,
            response_time_days=motif.response_time_days if motif else None,
            children=[PathItem.from_domain(child) for child in children],
        )
