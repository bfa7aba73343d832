"""What changed between two catalogs (two published versions, or a version and the draft)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from catalog.domain.model import LEVELS, Catalog, Level, Node, OnlineService

ChangeKind = Literal[
    "added",
    "removed",
    "renamed",
    "moved",
    "reordered",
    "activated",
    "deactivated",
    "skill_changed",
    "response_time_changed",
    "online_service_added",
    "online_service_changed",
    "online_service_removed",
]

ChangeValue = str | int | list[str] | dict[str, Any] | None


@dataclass(frozen=True)
class Change:
    """One difference. ``code`` is the node concerned (``None``: the list of themes itself,
    when only their order changed); ``before``/``after`` depend on ``kind``:

    - added / removed: the parent's code (``None`` for a theme);
    - renamed: the labels; moved: the parents' codes; reordered: the children's codes, in
      order (only children present on both sides);
    - skill_changed, response_time_changed: the values;
    - online_service_*: the service as ``{title, description, url, call_to_action, fund_urls}``.
    """

    kind: ChangeKind
    code: str | None
    level: Level | None
    label: str
    before: ChangeValue = None
    after: ChangeValue = None


def _service(service: OnlineService | None) -> dict[str, Any] | None:
    if service is None:
        return None
    return {
        "title": service.title,
        "description": service.description,
        "url": service.url,
        "call_to_action": service.call_to_action,
        "fund_urls": dict(service.fund_urls),
    }


def _order(nodes: list[Node]) -> list[str]:
    return [node.code for node in nodes]


def diff(old: Catalog, new: Catalog) -> list[Change]:
    """Changes from ``old`` to ``new``, themes first, then subjects, then motifs."""
    changes: list[Change] = []
    by_level = sorted(
        {*(node.code for node in old), *(node.code for node in new)},
        key=lambda code: (
            LEVELS.index((new.get(code) if code in new else old.get(code)).level),
            code,
        ),
    )
    for code in by_level:
        if code not in old:
            node = new.get(code)
            changes.append(Change("added", code, node.level, node.label, after=node.parent))
            continue
        if code not in new:
            node = old.get(code)
            changes.append(Change("removed", code, node.level, node.label, before=node.parent))
            continue
        before, after = old.get(code), new.get(code)
        label, level = after.label, after.level

        def change(kind: ChangeKind, was: ChangeValue = None, now: ChangeValue = None) -> None:
            changes.append(Change(kind, code, level, label, before=was, after=now))  # noqa: B023

        if before.label != after.label:
            change("renamed", before.label, after.label)
        if before.parent != after.parent:
            change("moved", before.parent, after.parent)
        if before.active != after.active:
            change("activated" if after.active else "deactivated")
        if before.skill != after.skill:
            change("skill_changed", before.skill, after.skill)
        if before.response_time_days != after.response_time_days:
            change("response_time_changed", before.response_time_days, after.response_time_days)
        if before.online_service != after.online_service:
            if before.online_service is None:
                change("online_service_added", None, _service(after.online_service))
            elif after.online_service is None:
                change("online_service_removed", _service(before.online_service), None)
            else:
                change(
                    "online_service_changed",
                    _service(before.online_service),
                    _service(after.online_service),
                )
    for parent in [None, *by_level]:
        if parent is not None and (parent not in old or parent not in new):
            continue
        was = _order(old.children(parent))
        now = _order(new.children(parent))
        common = set(was) & set(now)
        was_common = [code for code in was if code in common]
        now_common = [code for code in now if code in common]
        if was_common != now_common:
            owner = new.get(parent) if parent is not None else None
            changes.append(
                Change(
                    "reordered",
                    parent,
                    owner.level if owner else None,
                    owner.label if owner else "Thèmes",
                    before=was_common,
                    after=now_common,
                )
            )
    return changes
