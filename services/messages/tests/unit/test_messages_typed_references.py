"""What an agent types to find a thread, and the whole reference it means."""

from __future__ import annotations

import pytest

from messages.domain.errors import InvalidReference
from messages.domain.references import typed_reference

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("NPC-2026-000123", "NPC-2026-000123"),
        ("npc-2026-000123", "NPC-2026-000123"),
        ("  NPC-2026-000123 \t", "NPC-2026-000123"),
        ("NPC 2026 000123", "NPC-2026-000123"),
        ("NPC2026-000123", "NPC-2026-000123"),
        ("NPC – 2026 – 000123", "NPC-2026-000123"),
        ("\u00a0NPC-2026-000123\u00a0", "NPC-2026-000123"),
        ("CNO-2026-000123", "CNO-2026-000123"),  # another fund's: looked up, finds nothing
        ("2025-000123", "NPC-2025-000123"),
        ("2025 123", "NPC-2025-000123"),
        ("000123", "NPC-2026-000123"),
        ("123", "NPC-2026-000123"),
        ("0000123", "NPC-2026-000123"),
        ("NPC-2026-1234567", "NPC-2026-1234567"),
        ("1234567", "NPC-2026-1234567"),
    ],
)
def test_a_reference_or_its_number_part_becomes_the_whole_reference(
    typed: str, expected: str
) -> None:
    assert typed_reference(typed, fund="NPC", year=2026) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "NPC",
        "NPC-2026",
        "NPC-000123",
        "NPC-26-000123",
        "NPC/2026/000123",
        "NPC_2026_000123",
        "NPCX-2026-000123",
        "N-2026-000123",
        "dossier 123",
        "123 456",
        "2026000123",
        "1234567890",
        "NPC-2026-000123-1",
        "٣٤٥",  # digits of another script
    ],
)
def test_anything_else_is_refused_with_what_to_type(typed: str) -> None:
    with pytest.raises(InvalidReference) as refused:
        typed_reference(typed, fund="NPC", year=2026)
    assert refused.value.code == "invalid-reference"
    assert refused.value.extensions == {"field": "reference"}
    assert "NPC-2026-000123" in refused.value.detail
