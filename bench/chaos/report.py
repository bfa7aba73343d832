"""What each scenario must show, and the table printed at the end."""

from __future__ import annotations

from typing import Any

#: Every backlog drained this soon after the fault ended (plus the scenario's allowance).
DRAIN_SECONDS = 15.0
#: A frozen database is answered (503) this soon through the gateway: every request's
#: database work is bounded by 4.5 s in all (``servicekit.deadlines``).
FROZEN_ANSWER_SECONDS = 5.0
#: ``/readyz`` answers this soon even with the database frozen (never a hang).
READINESS_ANSWER_SECONDS = 5.0


def problems(result: dict[str, Any], *, timed: bool = True) -> list[str]:
    """What went wrong in one scenario's result (empty: as expected).

    ``timed=False`` leaves out the bounds on time (drain, answers with the database frozen,
    readiness's answer): ``make test`` asserts what must hold on any machine, nothing lost,
    nothing twice, no answer but ``201`` or ``503``; ``make chaos`` measures the rest."""
    found = []
    statuses = result["statuses"]
    bad = {code: n for code, n in statuses.items() if code not in ("201", "200", "503")}
    if bad:
        found.append(f"answers other than 201 or 503: {bad}")
    if result["accepted"] != result["submitted"]:
        found.append(f"{result['submitted'] - result['accepted']} submissions never accepted")
    if result["lost"]:
        found.append(f"{result['lost']} submissions not stored")
    if result["duplicate_threads"]:
        found.append(f"{result['duplicate_threads']} threads stored twice")
    if result["emails_missing"]:
        found.append(f"{result['emails_missing']} confirmations never sent")
    if result["duplicate_emails"]:
        found.append(f"{result['duplicate_emails']} emails sent twice under two Message-IDs")
    if result["resent_same_message_id"] and not result["crash"]:
        found.append(
            f"{result['resent_same_message_id']} emails resent with no crash to explain it"
        )
    if result["deliveries_recorded_twice"] or result["deliveries_not_sent"]:
        found.append(
            f"deliveries: {result['deliveries_recorded_twice']} recorded twice,"
            f" {result['deliveries_not_sent']} not recorded as sent"
        )
    limit = DRAIN_SECONDS + result["drain_allowance_s"]
    if timed and (result["drain_s"] is None or result["drain_s"] > limit):
        found.append(f"drained {result['drain_s']} s after recovery (at most {limit:.0f} s)")
    if result["scenario"] == "postgres-frozen":
        # at the gateway: the suite's own client, on a busy machine, waits besides
        slowest = result.get("slowest_gateway_answer_during_fault_s")
        if slowest is None:
            slowest = result["slowest_answer_during_fault_s"]
        if timed and slowest > FROZEN_ANSWER_SECONDS:
            found.append(
                f"the gateway took {slowest} s over an answer with the database"
                f" frozen (at most {FROZEN_ANSWER_SECONDS:.0f} s)"
            )
        if not statuses.get("503"):
            found.append("no 503 while the database was frozen")
        if result["readiness_false"] != result["readiness_probes"]:
            found.append(
                f"readiness said ready {result['readiness_probes'] - result['readiness_false']}"
                " times with the database frozen"
            )
        if timed and result["readiness_slowest_s"] > READINESS_ANSWER_SECONDS:
            found.append(f"readiness took {result['readiness_slowest_s']} s to answer")
    if result["scenario"] == "crash-window" and not result["resent_same_message_id"]:
        found.append("no email was caught in the crash window (nothing resent)")
    return found


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"`make chaos`, {results['started_at'][:16].replace('T', ' ')} UTC,"
        f" {results['machine']['cpus']} CPUs ({results['machine']['name']}),"
        f" {results['plan']['submissions']} submissions per scenario at"
        f" {results['plan']['rate']:.0f}/s (the crash window: {results['plan']['crash_emails']});"
        " the machine's load average (1 min) at the end of each scenario in the last column",
        "",
        "| scenario | outage | submitted | accepted | statuses (attempts) | slowest answer during the fault: at the gateway (by the suite's client) | stored | lost | dup. threads | emails | dup. emails | resent, same Message-ID | drained after recovery | verdict | load |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results["scenarios"]:
        statuses = ", ".join(f"{code}×{n}" for code, n in r["statuses"].items())
        verdict = "; ".join(r["problems"]) if r["problems"] else "as expected"
        if r["scenario"] == "postgres-frozen":
            verdict += f" (readiness false {r['readiness_false']}/{r['readiness_probes']}, slowest {r['readiness_slowest_s']} s)"
        lines.append(
            f"| {r['scenario']} | {r['outage_s']} s | {r['submitted']} | {r['accepted']} |"
            f" {statuses} | {r.get('slowest_gateway_answer_during_fault_s', '—')} s"
            f" ({r['slowest_answer_during_fault_s']} s) | {r['stored']} | {r['lost']} |"
            f" {r['duplicate_threads']} | {r['emails']} | {r['duplicate_emails']} |"
            f" {r['resent_same_message_id']} | {r['drain_s']} s | {verdict} |"
            f" {r.get('load_average_1m', '—')} |"
        )
    return "\n".join(lines) + "\n"
