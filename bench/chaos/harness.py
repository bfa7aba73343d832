"""The chaos stack: the whole local stack in a state folder of its own, the SMTP sink in
another process, and the faults done to them (a process killed, stopped, frozen, thawed,
started again), plus what is read back afterwards (threads stored, deliveries recorded,
emails the sink took).

Its ports are ``make run``'s moved by an offset (12,000 for ``make chaos``, 12,500 for the
short version in ``make test``), so the shared stack and ``make bench-e2e`` (10,000) are left
alone; every port stays below Linux's ephemeral range (32768-60999), where an outgoing
connection could take the port of a part the suite has stopped and must start again. The environment it needs (ports, state folder, SMTP sink, a short sending lease) is
set only while the stack is in use (:func:`chaos_environment`) and restored after.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from bench.e2e.__main__ import Bench, spawn

ROOT = Path(__file__).resolve().parents[2]

#: A delivery left "sending" by a notifier that died is sent again after this lease (300 s
#: in production); short here so that the crash window's resend is seen within the run.
SENDING_LEASE_SECONDS = 10
#: How long a part may take to answer after it is started (devstack's own: 60 s).
STARTUP_TIMEOUT = 240.0
#: How long the member's login is tried again on a busy machine.
LOGIN_TIMEOUT = 120.0


@contextlib.contextmanager
def chaos_environment(home: Path, offset: int, sink_port: int) -> Iterator[None]:
    """Ports moved by ``offset``, ``home`` as the state folder, the notifier sending to the
    sink: set for the time of the block, the previous environment restored after."""
    from devstack.config import DEFAULT_PORTS

    wanted: dict[str, str | None] = {
        f"DEVSTACK_{name.upper()}_PORT": str(port + offset) for name, port in DEFAULT_PORTS.items()
    }
    wanted |= {
        "DEVSTACK_HOME": str(home),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink_port),
        "NOTIFIER_SENDING_LEASE_SECONDS": str(SENDING_LEASE_SECONDS),
        # Each service runs once here and starts again under the same name, as a pod of a
        # StatefulSet does: a notifier killed and started again takes its partitions back at
        # once (static membership) instead of waiting for its dead session to expire.
        "KAFKA_GROUP_INSTANCE_ID": "chaos-0",
        # always this stack's own parts, never the shared ones a test session points at
        "KAFKA_BOOTSTRAP_SERVERS": None,
        "DEVSTACK_POSTGRES_URL": None,
        "FRANCECONNECT_ISSUER": None,
    }
    wanted |= {
        f"{s.upper()}_DATABASE_URL": None for s in ("auth", "catalog", "messages", "notifier")
    }
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class SinkEmail:
    accepted_at: float
    message_id: str
    reference: str | None
    confirmation: bool
    held: bool


class ChaosStack(Bench):
    """The stack under test; reuses ``make bench-e2e``'s login, catalog and sender."""

    def __init__(self, home: Path, offset: int) -> None:
        super().__init__(quick=True)
        self.home = home
        self.offset = offset
        self.sink_port = 1025 + offset + 1
        self.sink_file = home / "sink.jsonl"
        self.hold_file = home / "sink.hold"
        self.sink: subprocess.Popen[bytes] | None = None
        self._sink_offset = 0
        self.emails: list[SinkEmail] = []

    # ------------------------------------------------------------------ the stack itself

    def start(self) -> None:
        """Call inside :func:`chaos_environment`. A fresh state folder every time."""
        from devstack.config import StackConfig
        from devstack.stack import Stack

        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.start_sink()
        self.config = StackConfig()
        self.stack = Stack(self.config)
        for part in self.stack.parts.values():
            # a machine busy with something else starts a service in more than a minute
            part.startup_timeout = max(part.startup_timeout, STARTUP_TIMEOUT)
        # the whole stack as ``make run`` starts it (second replicas with DEVSTACK_REPLICAS=2)
        whole = getattr(self.stack, "default_parts", lambda: list(self.stack.parts))()
        wanted = [name for name in whole if name != "mailbox"]
        states = self.stack.up(wanted)
        failed = {name: state.detail for name, state in states.items() if state.status == "failed"}
        if failed:
            raise RuntimeError(f"the chaos stack did not start: {failed} (logs in {self.home})")

    def stop(self) -> None:
        self.thaw("postgres")  # never leave a frozen process behind
        self.hold_file.unlink(missing_ok=True)
        self.stop_sink()
        if hasattr(self, "stack"):
            self.stack.down()

    def start_sink(self) -> None:
        self.sink = spawn(
            [
                sys.executable,
                "-m",
                "bench.e2e.sink",
                str(self.sink_port),
                str(self.sink_file),
                str(self.hold_file),
            ],
            self.home / "logs" / "sink.log",
        )
        deadline = time.monotonic() + 20
        while not _port_open(self.sink_port):
            if time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.05)

    def stop_sink(self) -> None:
        """The SMTP server gone at once (killed: connections refused from now on)."""
        if self.sink is not None:
            self.sink.kill()
            self.sink.wait(timeout=10)
            self.sink = None

    # ------------------------------------------------------------------ faults

    def family(self, part: str) -> list[psutil.Process]:
        from devstack.process import read_record

        record = read_record(self.stack.parts[part].pidfile)
        if record is None or not record.alive():
            return []
        root = psutil.Process(record.pid)
        return [root, *root.children(recursive=True)]

    def signal(self, part: str, signum: int) -> None:
        for process in self.family(part):
            with contextlib.suppress(psutil.Error):
                process.send_signal(signum)

    def kill(self, part: str) -> None:
        """SIGKILL to the part and its children: no goodbye, nothing flushed."""
        family = self.family(part)
        self.signal(part, signal.SIGKILL)
        psutil.wait_procs(family, timeout=15)

    def freeze(self, part: str) -> None:
        """SIGSTOP: the process keeps its sockets open and answers nothing (a hung host)."""
        self.signal(part, signal.SIGSTOP)

    def thaw(self, part: str) -> None:
        if hasattr(self, "stack"):
            self.signal(part, signal.SIGCONT)

    def stop_part(self, part: str) -> None:
        """The part's own stop (PostgreSQL: a fast shutdown)."""
        self.stack.down([part])

    def start_part(self, part: str) -> None:
        states = self.stack.up([part])
        if states[part].status != "ready":
            raise RuntimeError(f"{part} did not start again: {states[part].detail}")

    def restart(self, service: str) -> None:
        """A service's process started again after it was killed, as Kubernetes starts a
        container again in its pod: its database is set up already, so the process alone
        starts (``start_part`` would run the service's setup first, migrations and reference
        data, another start of Python: 20 to 40 s more on a busy machine)."""
        from devstack.parts.base import StartFailure, wait_ready

        part = self.stack.parts[service]
        try:
            part.start()
            wait_ready(part)
        except StartFailure as failure:
            raise RuntimeError(f"{service} did not start again: {failure.reason}") from failure

    async def login(self) -> tuple[httpx.Cookies, dict[str, str]]:
        """``make bench-e2e``'s login, sent again (as the member would) while the stack
        answers ``503`` or not at all: a busy machine must not end the run."""
        deadline = time.monotonic() + LOGIN_TIMEOUT
        while True:
            try:
                return await super().login()
            except (httpx.TransportError, httpx.HTTPStatusError) as error:
                if isinstance(error, httpx.HTTPStatusError) and error.response.status_code not in (
                    502,
                    503,
                    504,
                ):
                    raise
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1.0)

    # ------------------------------------------------------------------ what is read back

    def service_url(self, service: str) -> str:
        return self.config.service_url(service)

    async def ready(self, service: str, timeout: float) -> tuple[bool, float]:
        """Whether ``/readyz`` of ``service`` says ready, and how long it took to say."""
        started = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=timeout) as http:
                response = await http.get(f"{self.service_url(service)}/readyz")
            return response.status_code == 200, time.monotonic() - started
        except httpx.HTTPError:
            return False, time.monotonic() - started

    async def query(self, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        url = self.config.database_url(database).replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(url, timeout=10)
        try:
            return list(await connection.fetch(sql, *args, timeout=30))
        finally:
            await connection.close()

    def gateway_answers(self, began: float, ended: float) -> list[float]:
        """How long the gateway took over each submission it received between ``began`` and
        ``ended`` (``time.time()``), from its access log: the answer as a client sees it,
        without the waits of the suite's own client on a busy machine."""
        durations = []
        path = self.home / "logs" / "gateway.log"
        with path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                if '"handled request"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                    received = entry["ts"] - entry["duration"]
                    uri = entry["request"]["uri"]
                except (ValueError, KeyError, TypeError):
                    continue
                if began <= received <= ended and uri.startswith("/api/messages/threads"):
                    durations.append(float(entry["duration"]))
        return durations

    def sink_emails(self) -> list[SinkEmail]:
        """Every email the sink took so far (read as the file grows)."""
        if self.sink_file.exists():
            with self.sink_file.open("rb") as file:
                file.seek(self._sink_offset)
                data = file.read()
            complete = data[: data.rfind(b"\n") + 1]
            self._sink_offset += len(complete)
            for line in complete.splitlines():
                record = json.loads(line)
                self.emails.append(
                    SinkEmail(
                        accepted_at=record["accepted_at"],
                        message_id=record["message_id"],
                        reference=record["reference"],
                        confirmation=record["subject"].startswith("Votre message a bien été reçu"),
                        held=bool(record.get("held")),
                    )
                )
        return self.emails


def _port_open(port: int) -> bool:
    from devstack.process import port_open

    return port_open("127.0.0.1", port)
