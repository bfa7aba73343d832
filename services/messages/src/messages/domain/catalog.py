"""The service's copy of the published catalog, and what a member's choice resolves to."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events.catalog import CatalogPublished, Motif, OnlineService, Subject, Theme
from messages.domain.errors import InvalidChoice


@dataclass(frozen=True)
class OnlineServiceOffer:
    title: str
    description: str
    url: str
    call_to_action: str


@dataclass(frozen=True)
class ResolvedChoice:
    """Theme, subject and motif as the catalog has them now."""

    theme: Theme
    subject: Subject
    motif: Motif
    online_service: OnlineServiceOffer | None


class Catalog:
    def __init__(self, snapshot: CatalogPublished) -> None:
        self.snapshot = snapshot
        self.version = snapshot.version

    def skill_label(self, skill: str) -> str:
        """A skill in French: the label of the theme of the same code (skills are theme codes
        by default), else the code itself."""
        theme = next((t for t in self.snapshot.themes if t.code == skill), None)
        return theme.label if theme is not None else skill

    def resolve(self, *, theme: str, subject: str, motif: str, fund: str) -> ResolvedChoice:
        """The active nodes for these codes; ``InvalidChoice`` with a French reason if not."""
        found_theme = next((t for t in self.snapshot.themes if t.code == theme), None)
        if found_theme is None or not found_theme.active:
            raise InvalidChoice(
                "unknown-theme",
                "Ce thème n'est pas proposé : choisissez un thème dans la liste.",
                field="theme",
            )
        found_subject = next((s for s in found_theme.subjects if s.code == subject), None)
        if found_subject is None or not found_subject.active:
            raise InvalidChoice(
                "unknown-subject",
                "Ce sujet n'est pas proposé pour ce thème : choisissez un sujet dans la liste.",
                field="subject",
            )
        found_motif = next((m for m in found_subject.motifs if m.code == motif), None)
        if found_motif is None or not found_motif.active:
            raise InvalidChoice(
                "unknown-motif",
                "Ce motif n'est pas proposé pour ce sujet : choisissez un motif dans la liste.",
                field="motif",
            )
        service = (
            found_motif.online_service or found_subject.online_service or found_theme.online_service
        )
        return ResolvedChoice(
            theme=found_theme,
            subject=found_subject,
            motif=found_motif,
            online_service=_offer(service, fund) if service is not None else None,
        )


def _offer(service: OnlineService, fund: str) -> OnlineServiceOffer:
    url = service.fund_urls.get(fund, service.url)
    return OnlineServiceOffer(
        title=service.title,
        description=service.description,
        url=str(url),
        call_to_action=service.call_to_action,
    )
