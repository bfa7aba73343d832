"""Which outbox rows a relay replica may publish, so that one key's events stay in order."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from servicekit.outbox import OutboxRelay

pytestmark = pytest.mark.unit


def rows(*pairs: tuple[int, str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=row_id, key=key) for row_id, key in pairs]


def test_all_claimed_rows_of_locked_keys_are_published_in_id_order() -> None:
    claimed = rows((1, "a"), (2, "b"), (3, "a"))
    unpublished = [(1, "a"), (2, "b"), (3, "a")]
    assert OutboxRelay._publishable(claimed, ["a", "b"], unpublished) == [1, 2, 3]


def test_a_key_locked_by_another_replica_is_skipped() -> None:
    claimed = rows((1, "a"), (2, "b"))
    assert OutboxRelay._publishable(claimed, ["b"], [(2, "b")]) == [2]


def test_a_key_whose_oldest_row_another_replica_holds_waits() -> None:
    # Row 1 of key "a" was claimed elsewhere; publishing row 3 first would reorder "a".
    claimed = rows((3, "a"), (4, "c"))
    unpublished = [(1, "a"), (3, "a"), (4, "c")]
    assert OutboxRelay._publishable(claimed, ["a", "c"], unpublished) == [4]


def test_a_gap_in_a_key_stops_that_key_at_the_gap() -> None:
    claimed = rows((1, "a"), (5, "a"))
    unpublished = [(1, "a"), (3, "a"), (5, "a")]
    assert OutboxRelay._publishable(claimed, ["a"], unpublished) == [1]
