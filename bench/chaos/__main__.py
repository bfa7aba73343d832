"""``make chaos``: the faults the product must live through, against the whole local stack.

It starts the stack in a state folder of its own (``.chaos/stack``, ports moved by 12,000,
a fresh database), with the notifier sending to an SMTP sink in another process
(``bench/e2e/sink.py``), then runs each scenario of ``bench/chaos/scenarios.py`` while the
demo member sends submissions through the gateway as the portal does:

- Kafka killed 30 s during 500 submissions;
- the notifier killed mid-stream and started again;
- the SMTP server away 60 s;
- PostgreSQL stopped 20 s;
- PostgreSQL frozen (SIGSTOP) 20 s;
- the notifier killed while the SMTP server holds its ``250`` (the crash window).

For each: submitted, accepted, statuses (per attempt), stored, emails, duplicates (threads and
emails), the time to drain after recovery; ``bench/results/chaos.json`` and the table printed
(``chaos.md``). It exits 1 when a scenario did not show what it must (``bench/chaos/report.py``).
``--scenario NAME`` runs some of them only; ``--short`` with the sizes of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from dataclasses import replace

from bench.chaos import report, scenarios
from bench.chaos.suite import ROOT, chaos_stack, run_all

HOME = ROOT / ".chaos" / "stack"
OFFSET = 12000
RESULTS = ROOT / "bench" / "results"


async def main_async(plan: scenarios.Plan, only: list[str]) -> dict[str, object]:
    current = asyncio.current_task()
    if current is not None:  # stopped from outside: cancel, so that the stack is stopped
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, current.cancel)
    chosen = tuple(s for s in scenarios.SCENARIOS if not only or s.name in only)
    async with chaos_stack(HOME, OFFSET) as stack:
        return await run_all(stack, plan, chosen)


def main() -> None:
    parser = argparse.ArgumentParser(prog="make chaos", description=__doc__.split("\n")[0])
    names = [s.name for s in scenarios.SCENARIOS]
    parser.add_argument("--scenario", action="append", choices=names, default=[])
    parser.add_argument("--short", action="store_true", help="the sizes of the make test version")
    parser.add_argument("--submissions", type=int, help="submissions per scenario")
    arguments = parser.parse_args()
    plan = scenarios.Plan.short() if arguments.short else scenarios.Plan.full()
    if arguments.submissions:
        plan = replace(plan, submissions=arguments.submissions)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        results = asyncio.run(main_async(plan, arguments.scenario))
    except asyncio.CancelledError:
        sys.exit(143)
    name = "chaos" if plan == scenarios.Plan.full() and not arguments.scenario else "chaos-quick"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = report.markdown(results)
    (RESULTS / f"{name}.md").write_text(table)
    print(table)
    print(f"results: {RESULTS / name}.json, .md")
    failed = [r["scenario"] for r in results["scenarios"] if r["problems"]]  # type: ignore[attr-defined]
    if failed:
        print(f"not as expected: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
