"""What every part of the local stack is: prepared, started, probed and stopped alike."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from devstack.config import StackConfig
from devstack.process import port_open, port_owner, read_record, spawn, stop


class StartFailure(Exception):
    """A part could not start; ``reason`` is one sentence that says what to do."""

    def __init__(self, reason: str, log: Path | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.log = log


class Part:
    name: str = ""
    title: str = ""
    requires: tuple[str, ...] = ()
    #: Port names (keys of ``StackConfig.ports``) this part listens on.
    port_names: tuple[str, ...] = ()
    startup_timeout: float = 60.0
    stop_signal: int = signal.SIGTERM
    stop_grace: float = 15.0
    _client: httpx.Client | None = None

    def __init__(self, config: StackConfig) -> None:
        self.config = config

    @property
    def pidfile(self) -> Path:
        return self.config.run / f"{self.name}.pid"

    @property
    def log(self) -> Path:
        return self.config.logs / f"{self.name}.log"

    def replaced_by(self) -> str | None:
        """The existing equivalent named by the environment, if any: then we start nothing."""
        return None

    def running(self) -> bool:
        record = read_record(self.pidfile)
        return record is not None and record.alive()

    def prepare(self) -> None:
        """Install or initialise what the part needs (may take a while the first time)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def cwd(self) -> Path | None:
        return None

    def user(self) -> str | None:
        return None

    @property
    def prepare_requires(self) -> tuple[str, ...]:
        """What ``prepare`` needs ready (by default all of ``requires``): the stack waits for
        the rest only before ``start``, so a part prepares while the others still start."""
        return self.requires

    def start(self) -> None:
        self.check_ports()
        spawn(
            self.command(),
            pidfile=self.pidfile,
            log=self.log,
            env=self.env(),
            cwd=self.cwd(),
            user=self.user(),
        )

    def check_ports(self) -> None:
        """A port taken by another program stops the start with one sentence."""
        for port_name in self.port_names:
            port = self.config.ports[port_name]
            if port_open(self.config.host, port):
                owner = port_owner(port) or "another program"
                raise StartFailure(
                    f"port {port} is taken by {owner}: stop it, or choose another port with "
                    f"DEVSTACK_{port_name.upper()}_PORT"
                )

    def ready(self) -> bool:
        raise NotImplementedError

    def after_ready(self) -> None:
        """Work once the part answers (topics, databases...)."""

    def stop(self) -> bool:
        return stop(self.pidfile, grace=self.stop_grace, signum=self.stop_signal)

    def address(self) -> str:
        return ""

    def _http_ok(self, url: str) -> bool:
        try:
            return self._http().get(url).status_code == 200
        except httpx.HTTPError:
            return False

    def _http(self) -> httpx.Client:
        """The part's client for its probes, made once: each ``httpx.get`` makes a client and
        its TLS context (about 50 ms of CPU), and a part is probed five times a second while
        it starts. Without keep-alive: a probe never holds a connection to the part."""
        if self._client is None:
            self._client = httpx.Client(
                timeout=1.0, limits=httpx.Limits(max_keepalive_connections=0)
            )
        return self._client


def run_setup(
    command: list[str],
    *,
    log: Path,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 900,
) -> str:
    """Run a set-up command to completion, its output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise StartFailure(f"{what}: {command[0]} is not installed", log) from error
    except subprocess.TimeoutExpired as error:
        raise StartFailure(f"{what} took more than {timeout:.0f} s", log) from error
    with log.open("a") as output:
        output.write(f"\n--- {' '.join(command)}\n{result.stdout}{result.stderr}")
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise StartFailure(f"{what} failed: {last[0][:200]}", log)
    return result.stdout


def wait_ready(part: Part, *, timeout: float | None = None) -> None:
    """Poll ``part`` until it answers; fail early if its process is gone."""
    deadline = time.monotonic() + (timeout or part.startup_timeout)
    while time.monotonic() < deadline:
        if part.ready():
            return
        if not part.running():
            raise StartFailure(f"{part.title} exited during start-up", part.log)
        time.sleep(0.2)
    raise StartFailure(
        f"{part.title} did not answer within {timeout or part.startup_timeout:.0f} s", part.log
    )
