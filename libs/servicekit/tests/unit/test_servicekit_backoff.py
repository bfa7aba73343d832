"""One backoff for every retry: exponential, full jitter, never above its cap."""

from __future__ import annotations

import pytest

from servicekit.backoff import ceiling, delay

pytestmark = pytest.mark.unit


def test_the_bound_doubles_from_base_up_to_the_cap() -> None:
    bounds = [ceiling(attempt, base=0.5, cap=6.0) for attempt in range(1, 7)]
    assert bounds == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]


def test_the_first_failure_waits_up_to_base_and_attempt_zero_counts_as_the_first() -> None:
    assert ceiling(1, base=0.4, cap=30.0) == 0.4
    assert ceiling(0, base=0.4, cap=30.0) == 0.4
    assert ceiling(-3, base=0.4, cap=30.0) == 0.4
    assert all(0.0 <= delay(0, base=0.4, cap=30.0) <= 0.4 for _ in range(200))
    assert all(0.0 <= delay(1, base=0.4, cap=30.0) <= 0.4 for _ in range(200))


@pytest.mark.parametrize("attempt", [1, 2, 5, 9, 64, 65, 1_000, 10**9])
def test_a_pause_is_never_negative_nor_above_the_cap(attempt: int) -> None:
    pauses = [delay(attempt, base=2.0, cap=60.0) for _ in range(200)]
    assert all(0.0 <= pause <= min(60.0, 2.0 * 2.0 ** min(attempt - 1, 64)) for pause in pauses)


def test_full_jitter_spreads_pauses_over_the_whole_range() -> None:
    pauses = [delay(12, base=1.0, cap=30.0) for _ in range(400)]
    assert min(pauses) < 10, "some retry early"
    assert max(pauses) > 20, "some wait up to near the cap"
