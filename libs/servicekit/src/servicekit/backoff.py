"""How long to wait before trying again: exponential backoff with full jitter, bounded.

Every retry in the services waits ``delay(attempt, base=..., cap=...)``: a random pause
between 0 and base·2^(attempt-1), never above ``cap``. The jitter spreads out replicas (or
deliveries) that failed together, so they do not all come back at the same moment.
"""

from __future__ import annotations

import random

#: Beyond this many doublings every bound is far above any cap; it keeps 2^n a float.
_MAX_DOUBLINGS = 64


def ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The longest pause after the ``attempt``-th failure in a row: base·2^(attempt-1),
    never above ``cap``. The first failure waits up to ``base``; an attempt below 1 counts as
    the first."""
    doublings = min(max(attempt, 1) - 1, _MAX_DOUBLINGS)
    return min(cap, base * 2.0**doublings)


def delay(attempt: int, *, base: float, cap: float) -> float:
    """A random pause in [0, ceiling(attempt)] (full jitter)."""
    return random.uniform(0.0, ceiling(attempt, base=base, cap=cap))  # noqa: S311 - not a secret
