"""The images, really built and really run (marker ``images``), with podman or docker.

Every image builds (``deploy/images/build-images``: against local stand-ins of the public
bases when no registry answers); each service's container migrates its database with the
image's own command, then starts with a read-only root filesystem, as user 10001, with no
capability, on the host's network against the session's Kafka and PostgreSQL, and turns
healthy through the image's own HEALTHCHECK; nothing can be written outside ``/tmp``; the
images hold no uv, no sources, no dev tools and no test files; their sizes are printed and
bounded; SIGTERM lets a request in flight finish. The gateway and the OIDC provider start
and turn healthy too (in a network of their own: their ports stay free on the host).

Without a container engine the tests are skipped with the reason (``make images`` installs
podman as root), and fail under ``CI=true``. The first run builds everything (several
minutes); the engine's layer cache makes the next ones quick.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from servicekit.db import asyncpg_dsn

pytestmark = [pytest.mark.images, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "deploy" / "images"
SERVICES = ("auth", "catalog", "messages", "notifier")
PREFIX = os.environ.get("IMAGE_PREFIX", "mes-messages")
TAG = os.environ.get("IMAGE_TAG", "local")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Bounds on the images' sizes (uncompressed, as the engine reports them). messages is
#: allowed more: its PDF export (fpdf2) brings fontTools and Pillow, about 55 MB with their
#: compiled bytecode (about 240 MB without them, like the other services).
SIZE_LIMITS_MB = {**dict.fromkeys(SERVICES, 250), "messages": 310, "gateway": 80}
SERVICE_PORT = 8000  # what the image's CMD and HEALTHCHECK use, on the host's network here


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


@pytest.fixture(scope="session")
def engine() -> Engine:
    found = find_engine()
    if found is None:
        message = (
            "neither podman nor docker answers: run `make images` (as root it installs podman)"
        )
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def built(engine: Engine) -> dict[str, int]:
    """Builds every image once (the script reuses the bases and the layer cache); the size of
    each image in bytes."""
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
    sizes = {}
    for name in (*SERVICES, "gateway", "oidc"):
        output = engine.run("image", "inspect", "--format", "{{.Size}}", image(name))
        sizes[name] = int(output.strip())
    return sizes


def run_in_image(engine: Engine, name: str, *command: str, user: str = "10001") -> str:
    """Runs a one-off command in the image, as its runtime user, read-only, networkless."""
    return engine.run(
        "run",
        "--rm",
        "--read-only",
        "--network",
        "none",
        "--user",
        user,
        "--entrypoint",
        command[0],
        image(name),
        *command[1:],
    )


# --- building -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*SERVICES, "gateway", "oidc"])
def test_every_image_builds(built: dict[str, int], name: str) -> None:
    assert built[name] > 0


def test_image_sizes_are_printed_and_bounded(built: dict[str, int]) -> None:
    print()
    for name, size in built.items():
        print(f"{image(name):<36} {size / 1e6:6.0f} MB")
    too_big = {
        name: f"{built[name] / 1e6:.0f} MB > {limit} MB"
        for name, limit in SIZE_LIMITS_MB.items()
        if built[name] > limit * 1_000_000
    }
    assert not too_big


# What must not be in a service's image, looked for from inside it.
SERVICE_CONTENTS_CHECK = """
import importlib.metadata as metadata, json, os, shutil, sys
service = os.environ["SERVICE"]
found = []
for tool in ("uv", "uvx", "gcc", "cc", "make", "git", "node", "npm", "pytest", "ruff", "mypy"):
    if shutil.which(tool):
        found.append(f"{tool} on the PATH: {shutil.which(tool)}")
for folder in ("/src", "/app/services", "/app/libs", "/app/contracts", "/app/tests"):
    if os.path.exists(folder):
        found.append(f"source folder {folder}")
names = {d.metadata["Name"].lower() for d in metadata.distributions()}
for dev in ("pytest", "ruff", "mypy", "devstack", "hypothesis", "playwright", "uv", "pip"):
    if dev in names:
        found.append(f"development distribution {dev} in the virtual environment")
for other in {"auth", "catalog", "messages", "notifier"} - {service}:
    if other in names:
        found.append(f"the {other} service in the {service} image")
for wanted in (service, "servicekit", "contracts"):
    if wanted not in names:
        found.append(f"{wanted} is not installed")
skip = {"/proc", "/sys", "/dev"}
for root, folders, files in os.walk("/"):
    folders[:] = [f for f in folders if os.path.join(root, f) not in skip]
    for name in files:
        path = os.path.join(root, name)
        if name in ("uv", "uvx", "uv.lock", "conftest.py") or name.startswith("__editable__"):
            found.append(path)
        elif name == "pyproject.toml" and "site-packages" not in path:
            found.append(path)
        elif "/app/" in path and ("/tests/" in path or name.startswith("test_")) and any(
            f"/site-packages/{package}/" in path for package in (service, "servicekit", "contracts")
        ):
            found.append(path)
print(json.dumps(found))
"""


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_holds_no_uv_sources_dev_tools_or_tests(
    engine: Engine, built: dict[str, int], service: str
) -> None:
    output = run_in_image(engine, service, "python", "-c", SERVICE_CONTENTS_CHECK)
    assert json.loads(output.strip().splitlines()[-1]) == []


def test_gateway_image_holds_caddy_and_the_built_web_apps_only(
    engine: Engine, built: dict[str, int]
) -> None:
    script = (
        "for tool in node npm python3 python uv pip git gcc; do "
        'command -v $tool && echo "found $tool"; done; '
        "find / -xdev \\( -name node_modules -o -name package.json -o -name '*.ts' \\) -print; "
        "ls /srv/portal/dist/index.html /srv/backoffice/dist/index.html /usr/bin/caddy >/dev/null"
    )
    output = run_in_image(engine, "gateway", "sh", "-c", script)
    assert output.strip() == ""


# --- running ------------------------------------------------------------------------------


def execute(admin_url: str, statement: str) -> None:
    async def go() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(admin_url))
        try:
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


# The container's own /tmp (a tmpfs), not this machine's.
HARDENED = ("--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL")  # noqa: S108


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


def assert_read_only_but_tmp(engine: Engine, name: str, user: str, home: str) -> None:
    """Runs as ``user`` with no capability; ``/tmp`` is writable, ``home`` (where the image's
    files are) and the rest of the filesystem are not."""
    assert engine.run("exec", name, "id", "-u").strip() == user
    capabilities = engine.run("exec", name, "grep", "CapEff", "/proc/self/status")
    assert capabilities.split()[-1].strip("0") == "", capabilities
    engine.run("exec", name, "touch", "/tmp/written")  # noqa: S108 (in the container)
    for place in (f"{home}/written", "/written", "/etc/written", "/var/written"):
        result = subprocess.run(
            [engine.command, "exec", name, "touch", place],
            capture_output=True,
            text=True,
            env=engine.environment,
            check=False,
            timeout=60,
        )
        assert result.returncode != 0, f"{place} could be written"
        assert "Read-only file system" in result.stderr, result.stderr


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass(frozen=True)
class RunningService:
    service: str
    container: str


@pytest.fixture(scope="module", params=SERVICES)
def running_service(
    request: pytest.FixtureRequest,
    engine: Engine,
    built: dict[str, int],
    kafka_bootstrap: str,
    postgres_admin_url: str,
    kafka_topic_prefix: str,
) -> Iterator[RunningService]:
    """The service's image, migrated by its own command, then running hardened on the host's
    network (port 8000) against the session's Kafka and topics, and a fresh database."""
    service: str = request.param
    # The session's topics (one set for the four services, as in production), consumer
    # groups of this run's own.
    prefix = kafka_topic_prefix
    database = f"images_{service}_{secrets.token_hex(4)}"
    execute(postgres_admin_url, f'CREATE DATABASE "{database}"')
    url = make_url(postgres_admin_url).set(drivername="postgresql+asyncpg", database=database)
    environment = {
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": prefix,
        "KAFKA_GROUP_PREFIX": f"{prefix}images-{secrets.token_hex(3)}.",
        f"{service.upper()}_DATABASE_URL": url.render_as_string(hide_password=False),
    }
    options = [f"--env={key}={value}" for key, value in environment.items()]
    hardened = [*HARDENED, "--user", "10001", "--network", "host", *options]
    name = f"images-test-{service}-{secrets.token_hex(3)}"
    try:
        engine.run("run", "--rm", *hardened, image(service), "python", "-m", service, "migrate")
        assert port_free(SERVICE_PORT), f"port {SERVICE_PORT} is taken on this machine"
        with container(engine, name, *hardened, image(service)):
            yield RunningService(service, name)
    finally:
        execute(postgres_admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def http_get(path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", SERVICE_PORT), timeout=10) as connection:
        connection.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        answer = read_all(connection)
    return int(answer.split(b" ", 2)[1]), answer


def read_all(connection: socket.socket) -> bytes:
    connection.settimeout(30)
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
    return answer


def test_service_container_turns_healthy_read_only_as_10001_without_capabilities(
    engine: Engine, running_service: RunningService
) -> None:
    wait_healthy(engine, running_service.container)
    assert_read_only_but_tmp(engine, running_service.container, "10001", "/app")
    # Ready too: its database and the Kafka brokers answer it from inside the container.
    deadline = time.monotonic() + 60
    while (status := http_get("/readyz"))[0] != 200 and time.monotonic() < deadline:
        time.sleep(1)
    assert status[0] == 200, status[1].decode(errors="replace")


def test_sigterm_lets_the_request_in_flight_finish(
    engine: Engine, running_service: RunningService
) -> None:
    wait_healthy(engine, running_service.container)
    body = json.dumps({"text": "une requête en cours pendant l'arrêt"}).encode()
    with socket.create_connection(("127.0.0.1", SERVICE_PORT), timeout=10) as connection:
        # A request whose body is still arriving: the service has started on it (its request
        # guard reads JSON bodies) and owes it an answer.
        connection.sendall(
            b"POST /in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        time.sleep(0.5)
        engine.run("kill", "--signal", "TERM", running_service.container)
        time.sleep(1.5)
        assert port_free(SERVICE_PORT), "new connections are still accepted after SIGTERM"
        connection.sendall(body[10:])
        answer = read_all(connection)
    assert answer.startswith(b"HTTP/1.1 "), answer
    headers, _, content = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    assert len(content) == length, "the answer was cut short"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = engine.run(
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            running_service.container,
        )
        if state.split()[0] == "exited":
            break
        time.sleep(0.5)
    assert state.split() == ["exited", "0"], state


def test_gateway_container_turns_healthy_read_only_and_serves_the_web_apps(
    engine: Engine, built: dict[str, int]
) -> None:
    upstreams = [
        f"--env={service.upper()}_UPSTREAM=127.0.0.1:81{i:02d}"
        for i, service in enumerate(SERVICES)
    ]
    name = f"images-test-gateway-{secrets.token_hex(3)}"
    # A network of its own (loopback only): the healthcheck runs inside it; 8080 stays free.
    with container(
        engine,
        name,
        *HARDENED,
        "--user",
        "10001",
        "--network",
        "none",
        *upstreams,
        image("gateway"),
    ):
        wait_healthy(engine, name, timeout=60)
        assert_read_only_but_tmp(engine, name, "10001", "/srv")
        portal = engine.run("exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/")
        assert "<html" in portal.lower()
        backoffice = engine.run(
            "exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/backoffice/"
        )
        assert "<html" in backoffice.lower()


def test_oidc_provider_container_turns_healthy(engine: Engine, built: dict[str, int]) -> None:
    name = f"images-test-oidc-{secrets.token_hex(3)}"
    # Its keys go to its volume (/var/lib/oidc): the rest of the filesystem stays read-only.
    with container(engine, name, *HARDENED, "--network", "none", image("oidc")):
        wait_healthy(engine, name, timeout=60)
        assert_read_only_but_tmp(engine, name, "1000", "/app")
