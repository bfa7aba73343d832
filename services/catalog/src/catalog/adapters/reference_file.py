"""The reference catalog, a YAML file in the repository, read into a ``Catalog``.

The file is checked as a whole before anything is loaded: unique codes, known keys, every
address well formed, every fund known, and no dead end or unreachable motif in the wizard.
Each problem names its line, so the file can be fixed in one pass.

Shape (see ``catalog/reference/catalog.yaml``)::

    themes:
      - code: famille
        label: "Famille, Allocations familiales, aides au logement"
        response_time_days: 10        # default for the motifs below (optional)
        skill: famille                # default for the motifs below (optional; the theme code)
        subjects:
          - code: famille-allocations
            label: Allocations familiales
            motifs:
              - code: af-changement-situation
                label: Mon changement de situation
                online_service:
                  title: Déclarer un changement de situation
                  url: https://www.msa.fr/...
                  fund_urls: {NPC: "https://nord-pasdecalais.msa.fr/..."}

Siblings are shown in the file's order; ``active: false`` keeps a node resolvable but hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog.domain.errors import CatalogError
from catalog.domain.model import (
    Catalog,
    Level,
    OnlineService,
    check_code,
    check_response_time,
    normalize_url,
)
from contracts import all_funds

REFERENCE_PACKAGE = "catalog.reference"
REFERENCE_FILE = "catalog.yaml"

_CHILDREN: dict[Level, str | None] = {"theme": "subjects", "subject": "motifs", "motif": None}
_NODE_KEYS = {"code", "label", "active", "skill", "response_time_days", "online_service"}
_SERVICE_KEYS = {"title", "description", "url", "call_to_action", "fund_urls"}
_LEVEL_WORDS: dict[Level, str] = {"theme": "thème", "subject": "sujet", "motif": "motif"}


@dataclass(frozen=True)
class ReferenceProblem:
    line: int
    message: str


class InvalidReferenceData(Exception):
    def __init__(self, source: str, problems: list[ReferenceProblem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda problem: problem.line)
        super().__init__(
            "\n".join(f"{source}:{problem.line}: {problem.message}" for problem in self.problems)
        )


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


@dataclass
class _Parsed:
    """A node as the file gives it, before it joins the catalog."""

    level: Level
    line: int
    code: str
    label: str
    parent: str | None
    active: bool
    skill: str | None
    response_time_days: int | None
    online_service: OnlineService | None
    children: list[_Parsed]


class _Reader:
    def __init__(self) -> None:
        self.problems: list[ReferenceProblem] = []
        self.lines: dict[str, int] = {}
        self._constructor = SafeConstructor()

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(ReferenceProblem(_line(node), message))

    def scalar(self, node: Node, kind: type, what: str) -> Any:
        value: Any = None
        if isinstance(node, ScalarNode):
            try:
                value = self._constructor.construct_object(node)
            except ConstructorError:
                value = None
        if kind is int and isinstance(value, bool):
            value = None
        if not isinstance(value, kind):
            expected = {str: "un texte", int: "un nombre entier", bool: "true ou false"}[kind]
            self.problem(node, f"{what} doit être {expected}.")
            return None
        return value

    def mapping(self, node: Node, allowed: set[str], what: str) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} doit être un tableau de clés (« clé: valeur »).")
            return None
        result: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, str, "Une clé")
            if key is None:
                continue
            if key in result:
                self.problem(key_node, f"La clé « {key} » est répétée dans {what}.")
            elif key not in allowed:
                known = ", ".join(sorted(allowed)) if len(allowed) < 10 else "un code de caisse"
                self.problem(
                    key_node, f"Clé inconnue « {key} » dans {what} : clés possibles {known}."
                )
            result[key] = value_node
        return result

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.problem(node, f"{what} doit être une liste (lignes commençant par « - »).")
            return []
        return list(node.value)

    def read(self, text: str) -> list[_Parsed]:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = int(mark.line) + 1 if mark is not None else 1
            self.problems.append(ReferenceProblem(line, f"YAML illisible : {error.problem}."))
            return []
        if root is None:
            self.problems.append(ReferenceProblem(1, "Le fichier est vide."))
            return []
        top = self.mapping(root, {"themes"}, "le fichier")
        if top is None:
            return []
        if "themes" not in top:
            self.problem(root, "La clé « themes » manque : elle liste les thèmes.")
            return []
        themes = self.sequence(top["themes"], "« themes »")
        return [
            parsed
            for position, node in enumerate(themes, start=1)
            if (parsed := self.node(node, "theme", None, position, {})) is not None
        ]

    def node(
        self,
        node: Node,
        level: Level,
        parent: str | None,
        position: int,
        inherited: dict[str, Any],
    ) -> _Parsed | None:
        word = _LEVEL_WORDS[level]
        children_key = _CHILDREN[level]
        allowed = _NODE_KEYS | ({children_key} if children_key else set())
        fields = self.mapping(node, allowed, f"le {word} n° {position}")
        if fields is None:
            return None
        code = None
        if "code" not in fields:
            self.problem(node, f"Le {word} n° {position} n'a pas de « code ».")
        else:
            code = self.scalar(fields["code"], str, "Le code")
            if code is not None:
                try:
                    check_code(code)
                except CatalogError as error:
                    self.problem(fields["code"], str(error))
                    code = None
            if code is not None:
                if code in self.lines:
                    self.problem(
                        fields["code"],
                        f"Le code « {code} » est déjà utilisé ligne {self.lines[code]} : "
                        "les codes sont uniques à tous les niveaux.",
                    )
                    code = None
                else:
                    self.lines[code] = _line(fields["code"])
        name = f"le {word} « {code} »" if code else f"le {word} n° {position}"
        label = ""
        if "label" not in fields:
            self.problem(node, f"{name.capitalize()} n'a pas de « label ».")
        elif (value := self.scalar(fields["label"], str, "Le libellé")) is not None:
            label = value.strip()
            if not label:
                self.problem(fields["label"], f"Le libellé de {name} est vide.")
        active = True
        if "active" in fields:
            active = bool(self.scalar(fields["active"], bool, "« active »"))
        defaults = dict(inherited)
        if "skill" in fields:
            skill = self.scalar(fields["skill"], str, "La compétence")
            if skill is not None:
                try:
                    defaults["skill"] = check_code(skill, "La compétence")
                except CatalogError as error:
                    self.problem(fields["skill"], str(error))
        if "response_time_days" in fields:
            days = self.scalar(fields["response_time_days"], int, "Le délai de réponse")
            if days is not None:
                try:
                    defaults["response_time_days"] = check_response_time(days)
                except CatalogError as error:
                    self.problem(fields["response_time_days"], str(error))
        if level == "theme" and "skill" not in defaults and code:
            defaults["skill"] = code
        service = None
        if "online_service" in fields:
            service = self.online_service(fields["online_service"], name)
        parsed = _Parsed(
            level=level,
            line=_line(node),
            code=code or "",
            label=label,
            parent=parent,
            active=active,
            skill=defaults.get("skill") if level == "motif" else None,
            response_time_days=defaults.get("response_time_days") if level == "motif" else None,
            online_service=service,
            children=[],
        )
        if level == "motif" and parsed.response_time_days is None and code:
            self.problem(
                node,
                f"{name.capitalize()} n'a pas de délai de réponse : ajoutez "
                "« response_time_days » au motif, à son sujet ou à son thème.",
            )
        if children_key is not None:
            below: Level = "subject" if level == "theme" else "motif"
            if children_key not in fields:
                self.problem(node, f"{name.capitalize()} n'a pas de « {children_key} ».")
            else:
                for child_position, child in enumerate(
                    self.sequence(fields[children_key], f"« {children_key} »"), start=1
                ):
                    child_parsed = self.node(child, below, code, child_position, defaults)
                    if child_parsed is not None:
                        parsed.children.append(child_parsed)
        return parsed if code else None

    def online_service(self, node: Node, owner: str) -> OnlineService | None:
        fields = self.mapping(node, _SERVICE_KEYS, f"le service en ligne de {owner}")
        if fields is None:
            return None
        for required in ("title", "url"):
            if required not in fields:
                self.problem(node, f"Le service en ligne de {owner} n'a pas de « {required} ».")
        if "title" not in fields or "url" not in fields:
            return None
        title = self.scalar(fields["title"], str, "Le titre du service en ligne")
        url = self.scalar(fields["url"], str, "L'adresse du service en ligne")
        description = ""
        if "description" in fields:
            description = self.scalar(fields["description"], str, "La description") or ""
        call_to_action = None
        if "call_to_action" in fields:
            call_to_action = self.scalar(fields["call_to_action"], str, "Le bouton")
        fund_urls: dict[str, str] = {}
        ok = title is not None and url is not None
        if "fund_urls" in fields:
            urls_node = fields["fund_urls"]
            funds = self.mapping(urls_node, set(all_funds()), "« fund_urls »")
            for fund, fund_url_node in (funds or {}).items():
                fund_url = self.scalar(fund_url_node, str, f"L'adresse de la caisse {fund}")
                if fund_url is None or fund not in all_funds():
                    ok = False
                    continue
                fund_urls[fund] = fund_url
                try:
                    normalize_url(fund_url)
                except CatalogError as error:
                    self.problem(fund_url_node, str(error))
                    ok = False
        if url is not None:
            try:
                normalize_url(url)
            except CatalogError as error:
                self.problem(fields["url"], str(error))
                ok = False
        if not ok:
            return None
        try:
            return OnlineService.create(
                title=title or "",
                url=url or "",
                description=description,
                call_to_action=call_to_action,
                fund_urls=fund_urls,
            )
        except CatalogError as error:
            self.problem(node, str(error))
            return None


def _check_wizard(reader: _Reader, nodes: list[_Parsed], parent_active: bool = True) -> None:
    """No dead end (an active theme or subject without an active child) and no active node
    that cannot be reached (under an inactive one)."""
    for parsed in nodes:
        word = _LEVEL_WORDS[parsed.level]
        if parsed.active and not parent_active:
            reader.problems.append(
                ReferenceProblem(
                    parsed.line,
                    f"Le {word} « {parsed.code} » est actif mais ne peut pas être atteint : "
                    "un élément au-dessus de lui est inactif. Désactivez-le aussi.",
                )
            )
        if (
            parsed.level != "motif"
            and parsed.active
            and parent_active
            and not any(child.active for child in parsed.children)
        ):
            below = "sujet" if parsed.level == "theme" else "motif"
            reader.problems.append(
                ReferenceProblem(
                    parsed.line,
                    f"Le {word} « {parsed.code} » n'a aucun {below} actif : "
                    f"le parcours de l'adhérent s'y arrêterait. Ajoutez un {below}.",
                )
            )
        _check_wizard(reader, parsed.children, parent_active and parsed.active)


def parse_reference(text: str, *, source: str = REFERENCE_FILE) -> Catalog:
    """The catalog a reference file describes; ``InvalidReferenceData`` lists every problem."""
    reader = _Reader()
    themes = reader.read(text)
    if not reader.problems:
        _check_wizard(reader, themes)
    if reader.problems:
        raise InvalidReferenceData(source, reader.problems)
    catalog = Catalog()

    def add(parsed: _Parsed) -> None:
        try:
            catalog.add(
                code=parsed.code,
                label=parsed.label,
                parent=parsed.parent,
                active=parsed.active,
                skill=parsed.skill,
                response_time_days=parsed.response_time_days,
                online_service=parsed.online_service,
            )
        except CatalogError as error:
            reader.problems.append(ReferenceProblem(parsed.line, str(error)))
            return
        for child in parsed.children:
            add(child)

    for theme in themes:
        add(theme)
    if reader.problems:
        raise InvalidReferenceData(source, reader.problems)
    return catalog


def read_reference(path: Path | None = None) -> Catalog:
    """The reference file shipped with the service, or the one at ``path``."""
    if path is not None:
        return parse_reference(path.read_text("utf-8"), source=str(path))
    text = resources.files(REFERENCE_PACKAGE).joinpath(REFERENCE_FILE).read_text("utf-8")
    return parse_reference(text, source=f"{REFERENCE_PACKAGE.replace('.', '/')}/{REFERENCE_FILE}")
