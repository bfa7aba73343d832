"""Growing delays and the temporary lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from auth.config import Settings
from auth.domain.throttling import ThrottlePolicy, ThrottleState, refusal

pytestmark = pytest.mark.unit

POLICY = ThrottlePolicy(
    free_failures=3,
    base_delay=timedelta(seconds=2),
    max_delay=timedelta(minutes=2),
    lock_after=6,
    lock_duration=timedelta(minutes=15),
)
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def fail(state: ThrottleState, times: int, at: datetime) -> ThrottleState:
    for _ in range(times):
        state = state.after_failure(POLICY, at)
    return state


def test_the_first_failures_cost_nothing() -> None:
    state = fail(ThrottleState("member:x"), 2, START)
    assert state.retry_at(POLICY, START) is None


def test_a_free_try_never_waits_for_a_failure_stamped_a_moment_later() -> None:
    """Two requests at once: the one that read the clock first may commit second."""
    state = fail(ThrottleState("registration-address:x"), 1, START + timedelta(milliseconds=3))
    assert state.retry_at(POLICY, START) is None
    assert refusal([(state, POLICY)], START) is None


def test_delays_double_with_each_failure() -> None:
    state = ThrottleState("member:x")
    waits = []
    now = START
    for _ in range(5):
        state = state.after_failure(POLICY, now)
        retry = state.retry_at(POLICY, now)
        waits.append((retry - now).total_seconds() if retry else 0)
        now = retry or now
    assert waits == [0, 0, 2, 4, 8]


def test_the_lock_engages_then_releases() -> None:
    state = fail(ThrottleState("member:x"), 6, START)
    assert state.locked
    assert state.retry_at(POLICY, START + timedelta(minutes=14)) == START + timedelta(minutes=15)
    after = START + timedelta(minutes=15)
    assert state.retry_at(POLICY, after) is None
    assert state.current(POLICY, after).failures == 0


def test_old_failures_are_forgotten() -> None:
    state = fail(ThrottleState("member:x"), 5, START)
    later = START + timedelta(minutes=16)
    assert state.current(POLICY, later).failures == 0


def test_the_longest_wait_of_account_and_address_wins() -> None:
    account = fail(ThrottleState("member:x"), 3, START)
    address = fail(ThrottleState("address:y"), 6, START)
    refused = refusal([(account, POLICY), (address, POLICY)], START)
    assert refused is not None
    assert refused.locked
    assert refused.seconds_left(START) == 15 * 60


def test_codes_on_request_go_one_a_minute_and_three_an_hour_at_most() -> None:
    policy = Settings().code_request_policy()
    state, sent = ThrottleState("email-change:x"), []
    # Someone asks every 10 seconds for three hours: only the allowed requests count.
    for second in range(0, 3 * 3600, 10):
        now = START + timedelta(seconds=second)
        if refusal([(state, policy)], now) is None:
            state = state.after_failure(policy, now)
            sent.append(now)
    assert all(b - a >= timedelta(minutes=1) for a, b in pairwise(sent))
    assert all(
        sum(1 for t in sent if start <= t < start + timedelta(hours=1)) <= 3 for start in sent
    )
    assert len(sent) >= 6, "the limit lifts after the hour"
