"""The fault suite's short version, in ``make test``: four of ``make chaos``'s faults with 40
submissions each (``Plan.short``), against a whole stack of its own (``.chaos/short``, ports
moved by 12,500: the shared stack, ``make chaos`` and ``make bench-e2e`` are left alone).

What must hold on any machine, however loaded, is asserted: every submission accepted and
stored once, every confirmation sent and none under two Message-IDs (nor resent without a
crash to explain it), each delivery recorded once as sent, no answer but ``201`` or
``503``, and with the database frozen ``503``s and ``/readyz`` "not ready" each time it is
asked. The times (drain after recovery, answers within 5 s) are measured, printed and kept
in ``.chaos/short/results.json``, and bounded by ``make chaos`` on a quiet machine: a test
here does not time things (``bench/chaos/README.md``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.chaos import report
from bench.chaos.harness import ChaosStack
from bench.chaos.scenarios import SCENARIOS, Plan, run
from bench.chaos.suite import ROOT, chaos_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

HOME = ROOT / ".chaos" / "short"
#: Below Linux's ephemeral ports (32768-60999) with every part's port, like ``make chaos``'s
#: 12,000, so that Kafka started again finds its port free.
OFFSET = 12500
PLAN = Plan.short()
CHOSEN = ("kafka-killed", "notifier-killed", "smtp-down", "postgres-frozen")

results: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[ChaosStack]:
    async with chaos_stack(HOME, OFFSET) as started:
        yield started
    if results:
        (HOME / "results.json").write_text(json.dumps(results, indent=2) + "\n")


@pytest.mark.parametrize("name", CHOSEN)
async def test_nothing_is_lost_nor_done_twice(stack: ChaosStack, name: str) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    result = await run(stack, scenario, PLAN)
    results.append(result)
    print(json.dumps(result, ensure_ascii=False))  # the times, for whoever reads the log
    assert report.problems(result, timed=False) == [], result
    assert result["accepted"] == result["stored"] == PLAN.submissions
    if name == "postgres-frozen":
        assert result["statuses"].get("503"), "the frozen database was never answered 503"
