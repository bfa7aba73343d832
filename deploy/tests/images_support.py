"""Helpers of the image tests (marker ``images``): the container engine, the images built
once per session, containers that are always removed, healthchecks run and waited for."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from servicekit.db import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "deploy" / "images"
SERVICES = ("auth", "catalog", "messages", "notifier")
ALL_IMAGES = (*SERVICES, "gateway", "oidc")
PREFIX = os.environ.get("IMAGE_PREFIX", "mes-messages")
TAG = os.environ.get("IMAGE_TAG", "local")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: The container's own /tmp (a tmpfs), not this machine's.
HARDENED = ("--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL")  # noqa: S108


def image(name: str) -> str:
    return f"{PREFIX}/{name}:{TAG}"


@dataclass(frozen=True)
class Engine:
    command: str
    environment: dict[str, str]

    def run(self, *arguments: str, timeout: float = 120, check: bool = True) -> str:
        result = subprocess.run(
            [self.command, *arguments],
            capture_output=True,
            text=True,
            env=self.environment,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{self.command} {' '.join(arguments)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
                pytrace=False,
            )
        return result.stdout

    def answers(self, *arguments: str) -> bool:
        return (
            subprocess.run(
                [self.command, *arguments],
                capture_output=True,
                env=self.environment,
                timeout=120,
                check=False,
            ).returncode
            == 0
        )


def find_engine() -> Engine | None:
    environment = dict(os.environ)
    environment.setdefault("CONTAINERS_CONF", str(IMAGES / "containers.conf"))
    candidates = [os.environ["ENGINE"]] if os.environ.get("ENGINE") else ["podman", "docker"]
    for command in candidates:
        if shutil.which(command):
            engine = Engine(command, environment)
            with contextlib.suppress(subprocess.TimeoutExpired):
                if engine.answers("info"):
                    return engine
    return None


def engine_or_skip() -> Engine:
    found = find_engine()
    if found is None:
        message = (
            "neither podman nor docker answers: run `make images` (as root it installs podman)"
        )
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


_built: dict[str, int] = {}


def build_all(engine: Engine) -> dict[str, int]:
    """Builds every image once per session (the script reuses the bases and the layer cache);
    the size of each image in bytes."""
    if _built:
        return _built
    started = time.monotonic()
    result = subprocess.run(
        [str(IMAGES / "build-images")],
        capture_output=True,
        text=True,
        env={**engine.environment, "ENGINE": engine.command},
        timeout=3300,
        check=False,
    )
    print(f"\nbuild-images: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, f"make images failed:\n{result.stderr[-6000:]}"
    for name in ALL_IMAGES:
        output = engine.run("image", "inspect", "--format", "{{.Size}}", image(name))
        _built[name] = int(output.strip())
    return _built


def execute(admin_url: str, *statements: str) -> None:
    """Runs statements on a PostgreSQL server as its superuser (databases made and dropped)."""

    async def go() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(admin_url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(go())


@contextlib.contextmanager
def container(engine: Engine, name: str, *arguments: str) -> Iterator[str]:
    """A detached container, removed (with its anonymous volumes) at the end."""
    engine.run("run", "--detach", "--name", name, *arguments, timeout=120)
    try:
        yield name
    finally:
        engine.run("rm", "--force", "--volumes", name, check=False, timeout=60)


def wait_healthy(engine: Engine, name: str, timeout: float = 120) -> None:
    """Until the image's own HEALTHCHECK passes (podman runs it on demand: with no systemd on
    the machine nothing runs it on a timer; docker runs it at its interval)."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        state = engine.run("inspect", "--format", "{{.State.Status}}", name).strip()
        if state != "running":
            logs = engine.run("logs", name, check=False)
            pytest.fail(f"{name} is {state}:\n{logs[-4000:]}", pytrace=False)
        if engine.command == "podman":
            engine.run("healthcheck", "run", name, check=False)
        status = engine.run("inspect", "--format", "{{.State.Health.Status}}", name).strip()
        if status == "healthy":
            return
        time.sleep(1)
    logs = engine.run("logs", name, check=False)
    pytest.fail(
        f"{name} not healthy after {timeout:.0f} s ({status}):\n{logs[-4000:]}", pytrace=False
    )


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class HeldLock:
    """A lock held by a ``flock`` process of its own until ``close``."""

    def __init__(self, holder: subprocess.Popen[str]) -> None:
        self.holder = holder

    def close(self) -> None:
        if self.holder.stdin is not None:
            self.holder.stdin.close()  # its shell reads end of input and exits: released
        self.holder.wait(timeout=60)


def exclusive_lock(path: Path, timeout: float) -> HeldLock:
    """``flock`` on ``path``, waited for at most ``timeout`` seconds in line with the other
    browser runs (``flock /tmp/e2e.lock ...`` blocks in the kernel, so does this one); held by
    a process of its own until ``close`` (or until this one ends)."""
    holder = subprocess.Popen(
        ["flock", "-w", str(int(timeout)), str(path), "sh", "-c", "echo held; read _"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    if holder.stdout.readline().strip() != "held":
        holder.wait(timeout=60)
        pytest.fail(f"{path} stayed locked for {timeout:.0f} s", pytrace=False)
    return HeldLock(holder)
