"""A service of the local stack runs its set-up and then serves in one process
(``devstack.serve``): it serves nothing until the stack lets it (a file), its set-up's output
is kept for ``make run``'s summary, and a set-up that fails says why and ends the process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from devstack.process import port_open

pytestmark = pytest.mark.integration

SERVICE = """
import os, sys

class Cli:
    def main(self, argv):
        assert argv == ["setup-local"]
        if os.environ.get("SETUP_FAILS"):
            print("setup-local only runs in the local environment", file=sys.stderr)
            return 2
        print("DEMO member Camille MARTIN")
        return 0

cli = Cli()
"""

APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"serving"})

def create_app():
    return app
"""


def _free_port() -> int:
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def _until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


@pytest.fixture
def service(tmp_path: Path) -> Path:
    package = tmp_path / "code" / "standin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(textwrap.dedent(SERVICE))
    (package / "main.py").write_text(textwrap.dedent(APP))
    return tmp_path


@dataclass
class Standin:
    """``devstack.serve`` run for the stand-in service above."""

    folder: Path
    port: int = field(default_factory=lambda: _free_port())
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def record(self) -> Path:
        return self.folder / "setup.txt"

    @property
    def done(self) -> Path:
        return self.folder / "setup.done"

    @property
    def go(self) -> Path:
        return self.folder / "go"

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        with (self.folder / "serve.log").open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "devstack.serve",
                    "standin",
                    "--record",
                    str(self.record),
                    "--done",
                    str(self.done),
                    "--go",
                    str(self.go),
                    "--",
                    "--factory",
                    "standin.main:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join([str(self.folder / "code"), *sys.path]),
                    **env,
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process


@pytest.fixture
def standin(service: Path) -> Iterator[Standin]:
    runs = Standin(service)
    yield runs
    for process in runs.processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_the_service_serves_only_once_the_stack_lets_it(standin: Standin) -> None:
    process = standin.start()
    _until(standin.done.exists, "set-up")

    assert standin.done.read_text() == "ok\n"
    assert standin.record.read_text() == "DEMO member Camille MARTIN\n"
    assert process.poll() is None
    assert not port_open("127.0.0.1", standin.port)  # set up, waiting: nothing listens yet

    standin.go.touch()
    _until(lambda: port_open("127.0.0.1", standin.port), "service listening")
    assert httpx.get(f"http://127.0.0.1:{standin.port}/").text == "serving"


def test_a_set_up_that_fails_says_why_and_ends(standin: Standin) -> None:
    process = standin.start(SETUP_FAILS="1")

    assert process.wait(timeout=60) == 2
    assert standin.done.read_text() == "failed: setup-local only runs in the local environment\n"
    assert not port_open("127.0.0.1", standin.port)
