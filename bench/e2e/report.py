"""The benchmark's results as a Markdown table (with the targets) and a chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The targets of the performance work, on this 2-core machine.
TARGETS = {
    "ratio": 0.33,
    "cpu_ms": 12.0,
    "p99_50": 250.0,
    "p99_100": 1000.0,
    "drain": 200.0,
    "outbox_p99_100": 50.0,
}


def progress(name: str, result: Any) -> None:
    print(f"› {name}: {json.dumps(result, ensure_ascii=False)}", flush=True)


def _ms(summary: dict[str, Any] | None, key: str) -> str:
    value = (summary or {}).get(key)
    return "—" if value is None else f"{value:,.0f}"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Run of {results['started_at'][:19]} UTC, {results['machine']['cpus']} cores"]
    if results.get("quick"):
        lines.append("(quick smoke run: phases shortened, not a measurement)")
    lines.append("")
    closed = results.get("closed_loop")
    if closed:
        cpu = closed["cpu_ms_per_submission"]
        lines += [
            "| closed loop, 16 connections | req/s | HTTP p50 | p95 | p99 (ms) | CPU ms / submission |",
            "|---|---|---|---|---|---|",
            f"| bare FastAPI + asyncpg, one INSERT | {closed['bare']['rate']} | "
            f"{_ms(closed['bare']['http_ms'], 'p50')} | {_ms(closed['bare']['http_ms'], 'p95')} | "
            f"{_ms(closed['bare']['http_ms'], 'p99')} | {cpu['bare_total']} |",
            f"| the real submission path (email included) | {closed['stack']['rate']} | "
            f"{_ms(closed['stack']['http_ms'], 'p50')} | {_ms(closed['stack']['http_ms'], 'p95')} | "
            f"{_ms(closed['stack']['http_ms'], 'p99')} | {cpu['stack_total']} |",
            "",
            f"Ratio stack / bare: **{closed['ratio']}** (target ≥ {TARGETS['ratio']}: "
            f"{_mark(closed['ratio'] is not None and closed['ratio'] >= TARGETS['ratio'])}); "
            f"CPU per submission {cpu['stack_total']} ms (target ≤ {TARGETS['cpu_ms']}: "
            f"{_mark(cpu['stack_total'] <= TARGETS['cpu_ms'])}).",
            "",
            "CPU ms per submission by process: "
            + ", ".join(f"{name} {value}" for name, value in sorted(cpu["stack"].items())),
            "",
        ]
    phases = results.get("phases", [])
    if phases:
        lines += [
            "| open loop | sent | statuses | HTTP p50 / p99 (ms) | submit → SMTP p50 / p95 / p99 (ms) "
            "| emails expected / arrived / twice | outbox → consumer p50 / p99 (ms) | drained after (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for phase in phases:
            email = phase["submit_to_smtp_ms"]
            outbox = phase["outbox_to_consumer_ms"]
            lines.append(
                f"| {phase['phase']} | {phase['sent']} | "
                + ", ".join(f"{k}: {v}" for k, v in sorted(phase["statuses"].items()))
                + f" | {_ms(phase['http_ms'], 'p50')} / {_ms(phase['http_ms'], 'p99')} | "
                f"{_ms(email, 'p50')} / {_ms(email, 'p95')} / {_ms(email, 'p99')} | "
                f"{phase['emails_expected']} / {phase['emails_arrived']} / {phase['emails_duplicated']} | "
                f"{_ms(outbox, 'p50')} / {_ms(outbox, 'p99')} | {phase['drained_after_last_response_s']} |"
            )
        lines.append("")
    drain = results.get("drain")
    if drain:
        if drain.get("timed_from") == "restart":
            window = f"{drain['seconds']} s from its restart, its start included"
        else:
            window = f"{drain['seconds_after_ready']} s after its restart"
        lines += [
            f"Notifier drain: {drain['arrived']} of {drain['backlog']} emails in "
            f"{window}: **{drain['emails_per_second']} "
            f"emails/s** (target ≥ {TARGETS['drain']}: "
            f"{_mark(drain['emails_per_second'] >= TARGETS['drain'])}).",
            "",
        ]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Submit → SMTP-accepted and HTTP latency (p50, p99) against the offered rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phases = [p for p in results.get("phases", []) if "5 min" not in p["phase"]]
    if not phases:
        return
    rates = [p["rate"] for p in phases]
    figure, axis = plt.subplots(figsize=(7, 4.2), dpi=120)
    for key, label, style in (
        ("submit_to_smtp_ms", "submit → email accepted", "-"),
        ("http_ms", "HTTP answer", "--"),
    ):
        for quantile, marker in (("p50", "o"), ("p99", "s")):
            values = [p[key].get(quantile) or float("nan") for p in phases]
            axis.plot(rates, values, style, marker=marker, label=f"{label} {quantile}")
    axis.set_xlabel("offered rate (submissions/s)")
    axis.set_ylabel("latency (ms, log scale)")
    axis.set_yscale("log")
    axis.set_xticks(rates)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("Mes messages et mes réponses: submission to confirmation email")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
