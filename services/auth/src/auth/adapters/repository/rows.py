"""What the repositories share about rows."""

from __future__ import annotations

from typing import Any


def changed_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The columns whose value differs between two versions of a row, with the new value."""
    return {name: value for name, value in after.items() if before.get(name) != value}
