"""The suite: the chaos stack started, warmed up, every scenario run in turn."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.chaos import report
from bench.chaos.harness import ChaosStack, chaos_environment
from bench.chaos.scenarios import SCENARIOS, Member, Plan, Scenario, run

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def chaos_stack(home: Path, offset: int) -> AsyncIterator[ChaosStack]:
    """The stack started in ``home`` with ports moved by ``offset``, ready to take
    submissions (catalog known to messages, member's contact known to the notifier);
    stopped, and the environment restored, on the way out."""
    stack = ChaosStack(home, offset)
    with chaos_environment(home, offset, stack.sink_port):
        try:
            await asyncio.to_thread(stack.start)
            stack.codes = await stack.catalog_codes()
            await warm_up(stack)
            yield stack
        finally:
            await asyncio.to_thread(stack.stop)


async def warm_up(stack: ChaosStack) -> None:
    """One submission accepted and its confirmation sent: every path is there."""
    member = Member(stack)
    await member.open()
    try:
        submission = await member.submit(time.time() + 120)
    finally:
        await member.close()
    if not submission.reference:
        raise RuntimeError(
            "no submission accepted after 2 minutes:"
            f" {submission.attempts[-1:]} {submission.refusal or ''}"
        )
    deadline = time.monotonic() + 120
    while submission.reference not in {e.reference for e in stack.sink_emails()}:
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up's confirmation never reached the sink")
        await asyncio.sleep(0.2)


async def run_all(
    stack: ChaosStack, plan: Plan, scenarios: tuple[Scenario, ...] = SCENARIOS
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {
            "name": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "plan": plan.__dict__,
        "scenarios": [],
    }
    for scenario in scenarios:
        print(f"› {scenario.name}: {scenario.what.format(**plan.__dict__)}", flush=True)
        result = await run(stack, scenario, plan)
        result["problems"] = report.problems(result)
        results["scenarios"].append(result)
        print(f"  {json.dumps(result, ensure_ascii=False)}", flush=True)
    results["finished_at"] = datetime.now(UTC).isoformat()
    return results
