"""Brute-force defence: growing delays, then a temporary lock, per account and per address.

Each key (the account typed, whether it exists or not, and the client address) keeps a count
of recent failures. After ``free_failures`` failures each new try must wait a delay that
doubles with every failure; at ``lock_after`` failures the key is locked for
``lock_duration``. A refused try (too early) is not checked and does not count. A success
clears the account's count; failures are forgotten ``window`` after the last one, and the
count starts again when a lock ends.

The same rules limit how often a person may have a code or a link emailed (a new activation
code, a password-reset link, an email-change code): each request counts as a failure does, so
with one free request, a delay of a minute and a lock after three, at most one is sent a
minute and at most three an hour (see ``Settings.code_request_policy``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    base_delay: timedelta
    max_delay: timedelta
    lock_after: int
    lock_duration: timedelta
    window: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        return min(self.max_delay, self.base_delay * (1 << (failures - self.free_failures)))


@dataclass(frozen=True)
class ThrottleState:
    key: str
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None

    def current(self, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
        """This state as of ``now``: a finished lock or an old run of failures is forgotten."""
        if self.locked_until is not None:
            if now >= self.locked_until:
                return ThrottleState(self.key)
            return self
        if self.last_failure_at is not None and now - self.last_failure_at > policy.window:
            return ThrottleState(self.key)
        return self

    def retry_at(self, policy: ThrottlePolicy, now: datetime) -> datetime | None:
        """When the next try will be heard; None when it may happen now."""
        state = self.current(policy, now)
        if state.locked_until is not None:
            return state.locked_until
        delay = policy.delay_after(state.failures)
        if state.last_failure_at is None or not delay:
            # Free tries never wait, even when the last one is stamped a moment after ``now``
            # (a request sent at the same time that committed first, another replica's clock).
            return None
        allowed = state.last_failure_at + delay
        return allowed if allowed > now else None

    def after_failure(self, policy: ThrottlePolicy, now: datetime) -> ThrottleState:
        state = self.current(policy, now)
        failures = state.failures + 1
        locked_until = now + policy.lock_duration if failures >= policy.lock_after else None
        return replace(state, failures=failures, last_failure_at=now, locked_until=locked_until)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


@dataclass(frozen=True)
class Refusal:
    """A try refused before being checked: come back at ``retry_at``."""

    retry_at: datetime
    locked: bool

    def seconds_left(self, now: datetime) -> int:
        return max(1, int((self.retry_at - now).total_seconds() + 0.999))


def refusal(states: list[tuple[ThrottleState, ThrottlePolicy]], now: datetime) -> Refusal | None:
    """The latest moment any of ``states`` allows a new try, if one is in the future."""
    waits = [
        (retry, state.current(policy, now).locked)
        for state, policy in states
        if (retry := state.retry_at(policy, now)) is not None
    ]
    if not waits:
        return None
    retry_at, locked = max(waits)
    return Refusal(retry_at=retry_at, locked=locked)
