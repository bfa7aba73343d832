"""Processes the stack starts: detached, logged to a file, remembered by a pid file.

A pid file holds the pid and the command line, so a pid reused by another program after a
reboot is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    command: list[str]
    started_at: float

    def alive(self) -> bool:
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
            return bool(abs(process.create_time() - self.started_at) < 2.0)
        except psutil.Error:
            return False


def read_record(pidfile: Path) -> ProcessRecord | None:
    try:
        data = json.loads(pidfile.read_text())
        return ProcessRecord(int(data["pid"]), list(data["command"]), float(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def spawn(
    command: Sequence[str],
    *,
    pidfile: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> ProcessRecord:
    """Start ``command`` in its own session, output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        output.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
        output.flush()
        process = subprocess.Popen(
            list(command),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
            user=user,
        )
    record = ProcessRecord(process.pid, list(command), psutil.Process(process.pid).create_time())
    pidfile.write_text(json.dumps(record.__dict__))
    return record


def stop(pidfile: Path, *, grace: float = 20.0, signum: int = signal.SIGTERM) -> bool:
    """Stop the process of ``pidfile`` (and its children): the signal, then SIGKILL after
    ``grace`` seconds. Returns whether something was running."""
    record = read_record(pidfile)
    pidfile.unlink(missing_ok=True)
    if record is None or not record.alive():
        return False
    try:
        process = psutil.Process(record.pid)
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return False
    for member in family:
        with contextlib.suppress(psutil.Error):
            member.send_signal(signum)
    _, survivors = psutil.wait_procs(family, timeout=grace)
    for member in survivors:
        with contextlib.suppress(psutil.Error):
            member.kill()
    psutil.wait_procs(survivors, timeout=5)
    return True


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> str | None:
    """Who listens on ``port``, for an error message that says what to stop."""
    try:
        for connection in psutil.net_connections(kind="tcp"):
            if (
                connection.laddr
                and connection.laddr.port == port
                and connection.status == psutil.CONN_LISTEN
            ):
                if connection.pid:
                    process = psutil.Process(connection.pid)
                    return f"{process.name()} (pid {connection.pid})"
                return "another program"
    except psutil.Error:
        return "another program"
    return None
