"""The catalog: themes → subjects → motifs, each possibly offering an online service.

``Catalog`` is the aggregate an admin edits (the draft) and what a published version holds.
Codes are stable and unique across the three levels; nodes are never deleted, only
deactivated, so a code that an old message carries always resolves.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import AnyHttpUrl, TypeAdapter, ValidationError

from catalog.domain.errors import (
    CodeAlreadyUsed,
    InvalidEdit,
    NodeNotFound,
    NoOnlineService,
)
from contracts import all_funds
from contracts.events import catalog as events

Level = Literal["theme", "subject", "motif"]
LEVELS: tuple[Level, ...] = get_args(Level)

#: The level a node has under a parent of the given level (``None``: the top).
LEVEL_UNDER: dict[Level | None, Level] = {None: "theme", "theme": "subject", "subject": "motif"}

LEVEL_NAMES: dict[Level, str] = {"theme": "le thème", "subject": "le sujet", "motif": "le motif"}

CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CODE_MAX_LENGTH = 64
LABEL_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
RESPONSE_TIME_RANGE = range(1, 61)
DEFAULT_CALL_TO_ACTION = "J'utilise le service en ligne"

_CODE = re.compile(CODE_PATTERN)
_URL = TypeAdapter(AnyHttpUrl)


def check_code(code: str, what: str = "Le code") -> str:
    if len(code) > CODE_MAX_LENGTH or not _CODE.fullmatch(code):
        raise InvalidEdit(
            f"{what} « {code} » n'est pas valide : lettres minuscules sans accent, chiffres et "
            f"tirets (par exemple « af-autre »), {CODE_MAX_LENGTH} caractères au plus."
        )
    return code


def check_label(label: str, what: str = "Le libellé") -> str:
    label = label.strip()
    if not label:
        raise InvalidEdit(f"{what} est vide : saisissez un texte.")
    if len(label) > LABEL_MAX_LENGTH:
        raise InvalidEdit(f"{what} dépasse {LABEL_MAX_LENGTH} caractères : raccourcissez-le.")
    return label


def check_response_time(days: int) -> int:
    if days not in RESPONSE_TIME_RANGE:
        raise InvalidEdit(
            f"Le délai de réponse de {days} jours ouvrés n'est pas admis : "
            f"indiquez entre {RESPONSE_TIME_RANGE.start} et {RESPONSE_TIME_RANGE.stop - 1} jours."
        )
    return days


def normalize_url(url: str) -> str:
    """The address in the form published in events (``https://www.msa.fr`` → ``…msa.fr/``)."""
    try:
        parsed = _URL.validate_python(url.strip())
    except ValidationError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidEdit(
            f"L'adresse « {url} » n'est pas une adresse web valide : "
            "indiquez une adresse complète commençant par https://."
        )
    return str(parsed)


def check_fund(fund: str) -> str:
    if fund not in all_funds():
        raise InvalidEdit(
            f"« {fund} » n'est pas le code d'une caisse MSA : utilisez un code à trois lettres "
            "comme « NPC »."
        )
    return fund


@dataclass(frozen=True)
class OnlineService:
    """A self-service page offered to the member instead of writing (wizard step 4)."""

    title: str
    url: str
    description: str = ""
    call_to_action: str = DEFAULT_CALL_TO_ACTION
    #: The same service on a fund's own site, by fund code.
    fund_urls: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        *,
        title: str,
        url: str,
        description: str = "",
        call_to_action: str | None = None,
        fund_urls: Mapping[str, str] | None = None,
    ) -> OnlineService:
        """A service with its fields checked and its addresses normalized."""
        description = description.strip()
        if len(description) > DESCRIPTION_MAX_LENGTH:
            raise InvalidEdit(
                f"La description dépasse {DESCRIPTION_MAX_LENGTH} caractères : raccourcissez-la."
            )
        return cls(
            title=check_label(title, "Le titre du service en ligne"),
            url=normalize_url(url),
            description=description,
            call_to_action=check_label(
                call_to_action or DEFAULT_CALL_TO_ACTION, "Le bouton du service en ligne"
            ),
            fund_urls={
                check_fund(fund): normalize_url(fund_url)
                for fund, fund_url in sorted((fund_urls or {}).items())
            },
        )

    def url_for(self, fund: str | None) -> str:
        """The address to offer a member of ``fund``: the fund's own, else the default."""
        if fund is not None and fund in self.fund_urls:
            return self.fund_urls[fund]
        return self.url

    def with_fund_url(self, fund: str, url: str) -> OnlineService:
        urls = dict(self.fund_urls) | {check_fund(fund): normalize_url(url)}
        return dataclasses.replace(self, fund_urls=dict(sorted(urls.items())))

    def without_fund_url(self, fund: str) -> OnlineService:
        if fund not in self.fund_urls:
            raise InvalidEdit(
                f"Le service en ligne « {self.title} » n'a pas d'adresse propre à la caisse {fund}."
            )
        return dataclasses.replace(
            self, fund_urls={key: value for key, value in self.fund_urls.items() if key != fund}
        )


@dataclass
class Node:
    """A theme, subject or motif. ``position`` orders siblings, from 1."""

    code: str
    level: Level
    label: str
    parent: str | None
    position: int
    active: bool = True
    #: Motifs only: which agents answer (a skill name, e.g. the theme code).
    skill: str | None = None
    #: Motifs only: the target time to answer, in working days.
    response_time_days: int | None = None
    online_service: OnlineService | None = None


class Catalog:
    """All nodes, active or not. Every edit keeps it well formed: parents exist and are one
    level up, siblings are numbered 1..n, motifs carry routing."""

    def __init__(self, nodes: Iterable[Node] = ()) -> None:
        self._nodes: dict[str, Node] = {node.code: node for node in nodes}

    # ---- reading -------------------------------------------------------------------------

    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    def get(self, code: str) -> Node:
        try:
            return self._nodes[code]
        except KeyError:
            raise NodeNotFound(code) from None

    def children(self, parent: str | None) -> list[Node]:
        """The nodes directly under ``parent`` (``None``: the themes), in display order."""
        return sorted(
            (node for node in self._nodes.values() if node.parent == parent),
            key=lambda node: (node.position, node.code),
        )

    def path(self, code: str) -> list[Node]:
        """The node and its ancestors, theme first."""
        path = [self.get(code)]
        while path[0].parent is not None:
            path.insert(0, self.get(path[0].parent))
        return path

    def reachable(self, code: str) -> bool:
        """Active, and so are all its ancestors: a member can choose it in the wizard."""
        return all(node.active for node in self.path(code))

    def copy(self) -> Catalog:
        return Catalog(dataclasses.replace(node) for node in self._nodes.values())

    # ---- editing -------------------------------------------------------------------------

    def add(
        self,
        *,
        code: str,
        label: str,
        parent: str | None,
        position: int | None = None,
        active: bool = True,
        skill: str | None = None,
        response_time_days: int | None = None,
        online_service: OnlineService | None = None,
    ) -> Node:
        check_code(code)
        if code in self._nodes:
            raise CodeAlreadyUsed(code)
        level = self._level_under(parent)
        if level == "motif":
            skill = check_code(skill or self.path(parent or "")[0].code, "La compétence")
            if response_time_days is None:
                raise InvalidEdit(
                    "Indiquez le délai de réponse du motif, en jours ouvrés (response_time_days)."
                )
            check_response_time(response_time_days)
        elif skill is not None or response_time_days is not None:
            raise InvalidEdit(
                "Seuls les motifs portent une compétence et un délai de réponse : "
                f"{LEVEL_NAMES[level]} « {code} » n'en a pas."
            )
        node = Node(
            code=code,
            level=level,
            label=check_label(label),
            parent=parent,
            position=0,
            active=active,
            skill=skill,
            response_time_days=response_time_days,
            online_service=online_service,
        )
        self._nodes[code] = node
        self._place(node, parent, position)
        return node

    def rename(self, code: str, label: str) -> Node:
        node = self.get(code)
        node.label = check_label(label)
        return node

    def move(self, code: str, *, parent: str | None, position: int | None = None) -> Node:
        """Put the node under ``parent`` (one level up, as before) at ``position`` (1 = first;
        none or past the end: last; same parent and no position: where it is)."""
        node = self.get(code)
        if parent != node.parent:
            if self._level_under(parent) != node.level:
                raise InvalidEdit(
                    f"{LEVEL_NAMES[node.level].capitalize()} « {code} » ne peut être placé que "
                    + (
                        "à la racine du catalogue."
                        if node.level == "theme"
                        else f"sous {'un thème' if node.level == 'subject' else 'un sujet'}."
                    )
                )
        elif position is None:
            return node
        previous_parent = node.parent
        self._place(node, parent, position)
        if previous_parent != parent:
            self._renumber(previous_parent)
        return node

    def set_active(self, code: str, active: bool) -> Node:
        node = self.get(code)
        node.active = active
        return node

    def set_routing(
        self, code: str, *, skill: str | None = None, response_time_days: int | None = None
    ) -> Node:
        node = self.get(code)
        if node.level != "motif":
            raise InvalidEdit(
                "Seuls les motifs portent une compétence et un délai de réponse : "
                f"{LEVEL_NAMES[node.level]} « {code} » n'en a pas."
            )
        if skill is not None:
            node.skill = check_code(skill, "La compétence")
        if response_time_days is not None:
            node.response_time_days = check_response_time(response_time_days)
        return node

    def attach_online_service(self, code: str, service: OnlineService) -> Node:
        node = self.get(code)
        node.online_service = service
        return node

    def remove_online_service(self, code: str) -> Node:
        node = self.get(code)
        if node.online_service is None:
            raise NoOnlineService(code)
        node.online_service = None
        return node

    def set_fund_url(self, code: str, fund: str, url: str) -> Node:
        node = self.get(code)
        if node.online_service is None:
            raise NoOnlineService(code)
        node.online_service = node.online_service.with_fund_url(fund, url)
        return node

    def remove_fund_url(self, code: str, fund: str) -> Node:
        node = self.get(code)
        if node.online_service is None:
            raise NoOnlineService(code)
        node.online_service = node.online_service.without_fund_url(fund)
        return node

    def replaced_by(self, reference: Catalog) -> Catalog:
        """This catalog made equal to ``reference``, except that nodes missing from it are
        kept, deactivated, after their reference siblings: their codes must still resolve."""
        merged = reference.copy()
        for node in self._nodes.values():
            if node.code in merged and merged.get(node.code).level != node.level:
                raise InvalidEdit(
                    f"Le code « {node.code} » désigne déjà {LEVEL_NAMES[node.level]} : "
                    "un code ne change pas de niveau, choisissez-en un autre."
                )
        # Themes first, then subjects, then motifs: a retired node's parent is placed first.
        retired = sorted(
            (node for node in self._nodes.values() if node.code not in reference),
            key=lambda node: (LEVELS.index(node.level), node.position, node.code),
        )
        for node in retired:
            kept = dataclasses.replace(node, active=False)
            kept.position = len(merged.children(kept.parent)) + 1
            merged._nodes[kept.code] = kept
        return merged

    # ---- checks --------------------------------------------------------------------------

    def publishing_problems(self) -> list[str]:
        """Why publishing this catalog would leave a member stuck in the wizard: an active
        theme or subject whose every child is inactive (or that has none)."""
        problems = []
        if not any(node.active for node in self.children(None)):
            problems.append("Aucun thème n'est actif : activez-en au moins un.")
        for node in self._nodes.values():
            if node.level == "motif" or not self.reachable(node.code):
                continue
            if not any(child.active for child in self.children(node.code)):
                below = "sujet" if node.level == "theme" else "motif"
                problems.append(
                    f"{LEVEL_NAMES[node.level].capitalize()} « {node.label} » ({node.code}) n'a "
                    f"aucun {below} actif : ajoutez-en un ou désactivez-le."
                )
        return problems

    # ---- helpers -------------------------------------------------------------------------

    def _level_under(self, parent: str | None) -> Level:
        if parent is None:
            return "theme"
        if parent not in self._nodes:
            raise InvalidEdit(
                f"Le parent « {parent} » n'existe pas dans le catalogue : vérifiez son code."
            )
        above = self._nodes[parent].level
        if above == "motif":
            raise InvalidEdit(
                f"« {parent} » est un motif : un motif est le dernier niveau du catalogue, "
                "rien ne se place dessous."
            )
        return LEVEL_UNDER[above]

    def _place(self, node: Node, parent: str | None, position: int | None) -> None:
        siblings = [other for other in self.children(parent) if other.code != node.code]
        index = len(siblings) if position is None else max(0, min(position - 1, len(siblings)))
        siblings.insert(index, node)
        node.parent = parent
        for number, sibling in enumerate(siblings, start=1):
            sibling.position = number

    def _renumber(self, parent: str | None) -> None:
        for number, sibling in enumerate(self.children(parent), start=1):
            sibling.position = number

    # ---- the published form --------------------------------------------------------------

    def to_themes(self) -> tuple[events.Theme, ...]:
        """The whole catalog, inactive nodes included, as the snapshot event carries it."""
        return tuple(
            events.Theme(
                code=theme.code,
                label=theme.label,
                order=theme.position,
                active=theme.active,
                online_service=_service_out(theme.online_service),
                subjects=tuple(
                    events.Subject(
                        code=subject.code,
                        label=subject.label,
                        order=subject.position,
                        active=subject.active,
                        online_service=_service_out(subject.online_service),
                        motifs=tuple(
                            events.Motif(
                                code=motif.code,
                                label=motif.label,
                                order=motif.position,
                                active=motif.active,
                                skill=motif.skill or theme.code,
                                response_time_days=motif.response_time_days or 1,
                                online_service=_service_out(motif.online_service),
                            )
                            for motif in self.children(subject.code)
                        ),
                    )
                    for subject in self.children(theme.code)
                ),
            )
            for theme in self.children(None)
        )

    @classmethod
    def from_themes(cls, themes: Iterable[events.Theme]) -> Catalog:
        nodes: list[Node] = []
        for theme in themes:
            nodes.append(_node_in(theme, "theme", None))
            for subject in theme.subjects:
                nodes.append(_node_in(subject, "subject", theme.code))
                for motif in subject.motifs:
                    node = _node_in(motif, "motif", subject.code)
                    node.skill = motif.skill
                    node.response_time_days = motif.response_time_days
                    nodes.append(node)
        return cls(nodes)


def _service_out(service: OnlineService | None) -> events.OnlineService | None:
    if service is None:
        return None
    return events.OnlineService.model_validate(
        {
            "title": service.title,
            "description": service.description,
            "url": service.url,
            "fund_urls": dict(service.fund_urls),
            "call_to_action": service.call_to_action,
        }
    )


def _node_in(
    node: events.Theme | events.Subject | events.Motif, level: Level, parent: str | None
) -> Node:
    service = node.online_service
    return Node(
        code=node.code,
        level=level,
        label=node.label,
        parent=parent,
        position=node.order,
        active=node.active,
        online_service=None
        if service is None
        else OnlineService(
            title=service.title,
            url=str(service.url),
            description=service.description,
            call_to_action=service.call_to_action,
            fund_urls={fund: str(url) for fund, url in sorted(service.fund_urls.items())},
        ),
    )
