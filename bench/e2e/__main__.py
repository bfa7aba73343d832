"""``make bench-e2e``: the submission-to-email path, end to end, on this machine, in one run.

It starts the whole stack in a state folder of its own (``.bench/stack``, its own ports, so a
``make run`` beside it is left alone), with the notifier sending to an SMTP sink in another
process, and a bare baseline (FastAPI + asyncpg, one INSERT) behind a second gateway run from
the same Caddyfile. Then, side by side:

1. closed loops, 16 connections: the bare baseline, then the real submission path (as the
   portal sends it: session cookie, CSRF header, Idempotency-Key); their ratio; CPU
   milliseconds per submission for every process (its confirmation email included);
2. open loops at 20, 50, 100 and 200 submissions/s, 30 s each, then 100/s for 5 minutes:
   HTTP p50/p95/p99, submit → SMTP-accepted p50/p95/p99, emails expected / arrived /
   duplicated, outbox commit → consumer p50/p95/p99;
3. the notifier's drain rate: with the notifier stopped, a backlog of submissions, then the
   time the restarted notifier takes to send them all.

Results: ``bench/results/e2e.json``, ``e2e.md`` (the table) and ``e2e.png`` (latency against
rate). ``--quick`` runs every phase briefly (a smoke run, not a measurement).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.e2e import report
from bench.e2e.load import Sample, Target, build_loadgen, client, closed_loop, generate, submission
from bench.e2e.measure import (
    CpuMeter,
    Mailbox,
    SubmissionEvents,
    commit_times,
    settled,
    summary,
)
from servicekit.db import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
HOME = ROOT / ".bench" / "stack"
#: The stack's ports, moved out of ``make run``'s way.
OFFSET = 10000
MEMBER = {"nir": "2951099126111", "password": "Bleuet-Colza-2026"}  # Camille, demo account
PROCESSES = ("gateway", "auth", "catalog", "messages", "notifier", "postgres", "kafka")
#: Requests an open loop may have in flight at once (a connection each).
OPEN_LOOP_WORKERS = 128
#: Running with ``--replicas 2`` only.
SECOND_REPLICAS = ("messages-2", "notifier-2")


@dataclass
class Phase:
    name: str
    rate: float | None  # submissions per second (None: closed loop)
    seconds: float


def stack_environment(sink_port: int) -> dict[str, str]:
    from devstack.config import DEFAULT_PORTS

    env = {
        f"DEVSTACK_{name.upper()}_PORT": str(port + OFFSET) for name, port in DEFAULT_PORTS.items()
    }
    env |= {"DEVSTACK_HOME": str(HOME), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink_port)}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DEVSTACK_POSTGRES_URL", "FRANCECONNECT_ISSUER"):
        env[name] = ""  # always this run's own parts
    return env


def spawn(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        command,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


async def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


#: Every phase, in the order a run takes them (``--phases`` picks some, for a profile).
PHASES = ("closed", "20", "50", "100", "200", "long", "drain")


class Bench:
    def __init__(
        self, quick: bool, phases: tuple[str, ...] = PHASES, profile: Path | None = None
    ) -> None:
        self.quick = quick
        self.phases = phases
        self.profile = profile
        self.sink_port = 1025 + OFFSET + 1
        self.bare_port = 8110 + OFFSET
        self.bare_gateway_port = 8090 + OFFSET
        self.children: list[subprocess.Popen[bytes]] = []
        self.results: dict[str, Any] = {
            "started_at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "replicas": int(os.environ.get("DEVSTACK_REPLICAS") or 1),
            "quick": quick,
            "phases": [],
        }

    def checkpoint(self) -> None:
        """The results so far, on disk after every phase: a run stopped early still leaves
        what it measured (``"finished": false`` until the end)."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = results_name(self.quick)
        partial = self.results | {"finished": False}
        (RESULTS / f"{name}.json").write_text(
            json.dumps(partial, indent=2, ensure_ascii=False) + "\n"
        )

    def seconds(self, full: float) -> float:
        return min(full, 5.0) if self.quick else full

    # ----------------------------------------------------------------------- set-up

    def start(self) -> None:
        for name, value in stack_environment(self.sink_port).items():
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
        from devstack.config import StackConfig
        from devstack.stack import Stack

        # What an earlier run left running (stopped from outside before its clean-up) is
        # stopped by its records before they are deleted with the rest of the state folder.
        Stack(StackConfig()).down()
        shutil.rmtree(HOME, ignore_errors=True)  # a fresh database each run: no cache flattery
        mails = HOME / "sink.jsonl"
        HOME.mkdir(parents=True, exist_ok=True)
        self.children.append(
            spawn(
                [sys.executable, "-m", "bench.e2e.sink", str(self.sink_port), str(mails)],
                HOME / "logs" / "sink.log",
            )
        )
        self.mailbox = Mailbox(mails)
        self.config = StackConfig()
        self.stack = Stack(self.config)
        wanted = [name for name in self.stack.default_parts() if name not in ("mailbox",)]
        states = self.stack.up(wanted)
        failed = {name: state.detail for name, state in states.items() if state.status == "failed"}
        if failed:
            raise SystemExit(f"the stack did not start: {failed} (logs in {HOME / 'logs'})")

        self.pids = self.read_pids((*PROCESSES, *SECOND_REPLICAS))
        dsn = self.config.postgres_admin_url.replace("postgresql+asyncpg://", "postgresql://")
        self.bare = spawn(
            [sys.executable, "-m", "bench.e2e.bare", str(self.bare_port), dsn],
            HOME / "logs" / "bare.log",
        )
        gateway = self.stack.parts["gateway"]
        bare_gateway_env = gateway.env() | {
            "GATEWAY_ADDRESS": f":{self.bare_gateway_port}",
            "GATEWAY_ADMIN": f"127.0.0.1:{self.bare_gateway_port + 1}",
            "MESSAGES_UPSTREAM": f"127.0.0.1:{self.bare_port}",
        }
        self.bare_gateway = spawn(
            gateway.command(), HOME / "logs" / "bare-gateway.log", bare_gateway_env
        )
        self.children += [self.bare, self.bare_gateway]

    def stop(self) -> None:
        for child in self.children:
            child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        if hasattr(self, "stack"):
            self.stack.down()

    @property
    def gateway(self) -> str:
        return f"http://localhost:{self.config.ports['gateway']}"

    @property
    def bare_gateway_url(self) -> str:
        return f"http://localhost:{self.bare_gateway_port}"

    async def login(self) -> tuple[httpx.Cookies, dict[str, str]]:
        async with httpx.AsyncClient(base_url=self.gateway) as http:
            response = await http.post("/api/auth/session", json=MEMBER)
            response.raise_for_status()
            csrf = http.cookies.get("mm-portal-csrf") or ""
            return http.cookies, {"X-CSRF-Token": csrf, "Origin": self.config.gateway_url}

    async def catalog_codes(self) -> tuple[str, str, str]:
        async with httpx.AsyncClient(base_url=self.gateway) as http:
            tree = (await http.get("/api/catalog/tree")).json()
        for theme in tree["themes"]:
            for subject in theme["subjects"]:
                for motif in subject["motifs"]:
                    if motif.get("active", True):
                        return theme["code"], subject["code"], motif["code"]
        raise SystemExit("the catalog offers no motif")

    async def stack_sender(self) -> Callable[[httpx.AsyncClient], Any]:
        cookies, headers = await self.login()
        self.cookies = cookies
        return submission("/api/messages/threads", self.codes, headers)

    async def stack_target(self) -> Target:
        """The member's submission, logged in afresh, for the compiled generator."""
        cookies, headers = await self.login()
        return Target.submission(
            f"{self.gateway}/api/messages/threads", self.codes, headers, cookies
        )

    # ----------------------------------------------------------------------- phases

    async def run(self) -> None:
        # Stopped from outside while a phase runs: cancel it, so that the stack is stopped
        # (a signal handler raising SystemExit got lost among a thousand requests in flight).
        current = asyncio.current_task()
        if current is not None:
            for signum in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().add_signal_handler(signum, current.cancel)
        await wait_http(f"{self.bare_gateway_url}/api/messages/readyz")
        self.codes = await self.catalog_codes()
        # The load generator, compiled: its CPU per request a small share of the Python one's.
        self.loadgen = await asyncio.to_thread(build_loadgen, ROOT / ".bench" / "loadgen")
        self.events = SubmissionEvents(self.config.kafka_bootstrap, "messages.message-submitted.v1")
        await self.events.start()
        try:
            await self.warm_up()
            if "closed" in self.phases:
                await self.closed_loops()
            for rate in (20, 50, 100, 200):
                if str(rate) in self.phases:
                    await self.open(Phase(f"open {rate}/s", rate, self.seconds(30)))
            if "long" in self.phases:
                await self.open(Phase("open 100/s, 5 min", 100, 30 if self.quick else 300))
            if "drain" in self.phases:
                await self.drain()
        finally:
            await self.events.stop()

    async def warm_up(self) -> None:
        """Until the messages service has its catalog and every connection pool is warm."""
        send = await self.stack_sender()
        deadline = time.monotonic() + 120
        async with client(self.gateway, 4, self.cookies) as http:
            while True:
                sample = await send(http)
                if sample.status in (200, 201):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"submissions still fail after 2 minutes (status {sample.status})"
                    )
                await asyncio.sleep(0.5)
            warm = await closed_loop(http, send, connections=8, seconds=self.seconds(10))
        await self.mailbox.wait_for({s.reference for s in warm if s.reference}, timeout=120)
        bare = submission("/api/messages/threads", self.codes)
        async with client(self.bare_gateway_url, 8) as http:
            await closed_loop(http, bare, connections=8, seconds=self.seconds(5))
        waited, busy = await settled(self.pids)
        self.results["settled"] = {"after_s": round(waited, 1), "cpu_share": round(busy, 3)}
        report.progress("the stack at rest", self.results["settled"])

    async def closed_loops(self) -> None:
        seconds = self.seconds(30)
        bare_meter = CpuMeter(
            {
                "bare app": self.bare.pid,
                "bare gateway": self.bare_gateway.pid,
                "postgres": self.pids["postgres"],
                "load generator": os.getpid(),
            }
        )
        bare_meter.start()
        bare = await generate(
            self.loadgen,
            Target.submission(f"{self.bare_gateway_url}/api/messages/threads", self.codes),
            mode="closed",
            connections=16,
            seconds=seconds,
        )
        bare_cpu = bare_meter.stop()

        target = await self.stack_target()
        meter = CpuMeter({**self.pids, "load generator": os.getpid()})
        profilers = self.start_profilers(seconds)
        meter.start()
        real = await generate(self.loadgen, target, mode="closed", connections=16, seconds=seconds)
        references = {s.reference for s in real if s.reference}
        await self.mailbox.wait_for(references, timeout=300)
        real_cpu = meter.stop()
        for profiler in profilers:
            profiler.wait(timeout=60)

        def rate(samples: list[Sample]) -> float:
            ok = [s for s in samples if 200 <= s.status < 300]
            return len(ok) / seconds

        def per_submission(cpu: dict[str, float], samples: list[Sample]) -> dict[str, float]:
            count = max(1, sum(1 for s in samples if 200 <= s.status < 300))
            return {name: round(value * 1000 / count, 2) for name, value in cpu.items()}

        bare_cpu_per = per_submission(bare_cpu, bare)
        real_cpu_per = per_submission(real_cpu, real)
        self.results["closed_loop"] = {
            "connections": 16,
            "seconds": seconds,
            "bare": {
                "rate": round(rate(bare), 1),
                "http_ms": summary(s.latency for s in bare),
                "statuses": statuses(bare),
            },
            "stack": {
                "rate": round(rate(real), 1),
                "http_ms": summary(s.latency for s in real),
                "statuses": statuses(real),
            },
            "ratio": round(rate(real) / rate(bare), 3) if rate(bare) else None,
            "cpu_ms_per_submission": {
                "bare": bare_cpu_per,
                "bare_total": round(
                    sum(v for k, v in bare_cpu_per.items() if k != "load generator"), 2
                ),
                "stack": real_cpu_per,
                "stack_total": round(
                    sum(v for k, v in real_cpu_per.items() if k != "load generator"), 2
                ),
            },
        }
        report.progress("closed loop", self.results["closed_loop"])
        self.checkpoint()

    def read_pids(self, names: Sequence[str]) -> dict[str, int]:
        """The process ids of the parts ``names`` that run."""
        from devstack.process import read_record

        pids: dict[str, int] = {}
        for name in names:
            record = read_record(self.stack.parts[name].pidfile)
            if record:
                pids[name] = record.pid
        return pids

    def start_profilers(
        self, seconds: float, pids: dict[str, int] | None = None, prefix: str = ""
    ) -> list[subprocess.Popen[bytes]]:
        """``--profile``: py-spy samples the Python services through the stack's closed loop,
        and the notifier through its drain (folded stacks, one file per process, named
        ``[prefix]<process>.txt``: ``bench/profile.py`` sums them by function)."""
        if self.profile is None:
            return []
        py_spy = shutil.which("py-spy") or shutil.which(
            "py-spy", path=str(Path(sys.executable).parent)
        )
        if py_spy is None:
            raise SystemExit("--profile needs py-spy (uv run --with py-spy==0.4.3 ...)")
        self.profile.mkdir(parents=True, exist_ok=True)
        return [
            spawn(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--output",
                    str(self.profile / f"{prefix}{name}.txt"),
                ],
                HOME / "logs" / f"py-spy-{prefix}{name}.log",
            )
            for name, pid in (self.pids if pids is None else pids).items()
            if name not in ("gateway", "postgres", "kafka")
        ]

    async def open(self, phase: Phase) -> None:
        assert phase.rate is not None
        samples = await generate(
            self.loadgen,
            await self.stack_target(),
            mode="open",
            rate=phase.rate,
            seconds=phase.seconds,
            connections=OPEN_LOOP_WORKERS,
        )
        accepted = [s for s in samples if 200 <= s.status < 300 and s.reference]
        references = {s.reference for s in accepted if s.reference}
        last = await self.mailbox.wait_for(references, timeout=120)
        confirmations = self.mailbox.confirmations()
        to_email = [
            min(confirmations[s.reference]) - s.sent_at
            for s in accepted
            if s.reference in confirmations
        ]
        messages_dsn = asyncpg_dsn(self.config.database_url("messages"))
        committed, to_claim = await commit_times(messages_dsn, references)
        outbox = self.events.latencies(committed)
        end_of_sending = max((s.sent_at + s.latency for s in samples), default=time.time())
        result = {
            "phase": phase.name,
            "rate": phase.rate,
            "seconds": phase.seconds,
            "sent": len(samples),
            "statuses": statuses(samples),
            "http_ms": summary(s.latency for s in samples),
            "submit_to_smtp_ms": summary(to_email),
            "outbox_to_consumer_ms": summary(outbox),
            # The part of it before the relay's claim (the rest: its send, Kafka, the read).
            "outbox_to_relay_claim_ms": summary(to_claim),
            "emails_expected": len(references),
            "emails_arrived": sum(1 for ref in references if ref in confirmations),
            "emails_duplicated": sum(
                1 for ref in references if len(confirmations.get(ref, [])) > 1
            ),
            "drained_after_last_response_s": round(max(0.0, last - end_of_sending), 2),
        }
        self.results["phases"].append(result)
        report.progress(phase.name, result)
        self.checkpoint()

    async def drain(self) -> None:
        """The notifier's own pace: a backlog built while it is stopped, then sent."""
        count = 300 if self.quick else 3000
        notifiers = [name for name in ("notifier", "notifier-2") if name in self.pids]
        self.stack.down(notifiers)
        send = await self.stack_sender()
        samples: list[Sample] = []
        async with client(self.gateway, 16, self.cookies) as http:
            while sum(1 for s in samples if s.reference) < count:
                samples += await closed_loop(http, send, connections=16, seconds=2)
        references = {s.reference for s in samples if s.reference}
        restarted = time.time()
        self.stack.up(notifiers)
        ready = time.time()
        profilers = self.start_profilers(15, self.read_pids(notifiers), prefix="drain-")
        last = await self.mailbox.wait_for(references, timeout=600)
        for profiler in profilers:
            profiler.wait(timeout=60)
        arrived = sum(1 for ref in references if ref in self.mailbox.confirmations())
        # With two replicas the first may send the whole backlog while the second starts:
        # the pace is then counted from the restart, start-up included.
        since = ready if last > ready else restarted
        self.results["drain"] = {
            "backlog": len(references),
            "arrived": arrived,
            "notifier_start_s": round(ready - restarted, 2),
            "seconds_after_ready": round(last - ready, 2),
            "timed_from": "ready" if since == ready else "restart",
            "seconds": round(last - since, 2),
            "emails_per_second": round(arrived / max(0.001, last - since), 1),
        }
        report.progress("drain", self.results["drain"])


def statuses(samples: list[Sample]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sample in samples:
        key = str(sample.status) if sample.status else "no answer"
        counts[key] = counts.get(key, 0) + 1
    return counts


def results_name(quick: bool) -> str:
    """``e2e``, ``e2e-quick``; ``-2-replicas`` added with two replicas."""
    name = "e2e-quick" if quick else "e2e-partial" if os.environ.get("BENCH_PARTIAL") else "e2e"
    return name + ("-2-replicas" if os.environ.get("DEVSTACK_REPLICAS") == "2" else "")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench-e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every phase briefly: a smoke run")
    parser.add_argument(
        "--replicas",
        type=int,
        choices=(1, 2),
        default=1,
        help="processes of messages and of the notifier (2: as `make run REPLICAS=2`)",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"the phases to run, among {','.join(PHASES)} (all by default; the results of a "
        "partial run are kept apart, in e2e-partial.json)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FOLDER",
        help="sample the Python services with py-spy through the closed loop into FOLDER",
    )
    arguments = parser.parse_args()
    phases = tuple(p for p in arguments.phases.split(",") if p)
    if unknown := set(phases) - set(PHASES):
        parser.error(f"unknown phases: {sorted(unknown)}")
    os.environ["DEVSTACK_REPLICAS"] = str(arguments.replicas)
    if set(phases) != set(PHASES):
        os.environ["BENCH_PARTIAL"] = "1"
    # Stopped from outside (a timeout, Ctrl-C) while the stack starts: leave nothing behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(quick=arguments.quick, phases=phases, profile=arguments.profile)
    try:
        bench.start()
        asyncio.run(bench.run())
    except asyncio.CancelledError:
        print("stopped before the end: what was measured is in bench/results/", file=sys.stderr)
        sys.exit(143)
    finally:
        bench.stop()
    bench.results["finished_at"] = datetime.now(UTC).isoformat()
    bench.results["finished"] = True
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = results_name(arguments.quick)
    (RESULTS / f"{name}.json").write_text(
        json.dumps(bench.results, indent=2, ensure_ascii=False) + "\n"
    )
    (RESULTS / f"{name}.md").write_text(report.markdown(bench.results))
    report.chart(bench.results, RESULTS / f"{name}.png")
    print(report.markdown(bench.results))
    print(f"results: {RESULTS / name}.json, .md, .png")


if __name__ == "__main__":
    main()
