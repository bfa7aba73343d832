"""The Kubernetes overlay, played by ``podman kube play`` (marker ``images``).

``deploy/images/kube-play`` turns the rendered dev overlay into what podman can run (its
docstring lists each change: local images, the host's network instead of Services, the
local Kafka and PostgreSQL, the Secrets the operators would make); each service's
migration Job and schema gate (played as Pods) end well, then its Deployment runs from the
image, one service at a time (all four listen on port 8000 of the host's network), the
gateway beside the catalog (on ports of its own). Each is waited for by the manifests' own
probes: the startup probe's command run by the test at its period (podman 4.3 does not run
it), the readiness probe asked by the test (podman does not run it), the liveness probe as
podman's healthcheck (run on demand: no systemd here); then checked (user 10001, read-only,
no capability), asked a request, found running, healthy and never restarted at the end, and
taken down with ``podman kube down``.

Needs podman (docker has no ``kube play``); skipped without it, failed under ``CI=true``.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import make_url

from deploy.tests.images_support import (
    IMAGES,
    IN_CI,
    SERVICES,
    Engine,
    build_all,
    engine_or_skip,
    execute,
    port_free,
    wait_healthy,
)

pytestmark = [pytest.mark.images, pytest.mark.timeout(1800)]

STAGES = ("pods", "deployments")
#: The gateway's port and its admin endpoint's on the host (kube-play --gateway-port...): far
#: from the browser tests' 8080 and 2019.
GATEWAY_PORT, GATEWAY_ADMIN_PORT = 38080, 38019
#: Where each Deployment's container listens (the image's port; the host's network here).
PORTS = {**dict.fromkeys(SERVICES, 8000), "gateway": GATEWAY_PORT}
#: A request each service answers without a session, and what it answers.
REQUESTS = {
    "auth": ("/.well-known/jwks.json", 200),
    "catalog": ("/tree", None),  # 200 once a catalog is published, a 404 problem before
    "messages": ("/threads", 401),
    "notifier": ("/preferences", 401),
}


@pytest.fixture(scope="module")
def podman() -> Engine:
    engine = engine_or_skip()
    if engine.command != "podman":
        message = "podman kube play needs podman"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    build_all(engine)
    return engine


def get(port: int, path: str) -> tuple[int, str, bytes]:
    """Status, content type and body of ``GET http://127.0.0.1:<port><path>``."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def readiness_ok(container: dict[str, Any]) -> bool:
    """Whether the container's own readiness probe (an httpGet) passes now."""
    check = container["readinessProbe"]["httpGet"]
    port = int(check["port"])  # a number: kube-play resolves the port's name
    try:
        return get(port, check["path"])[0] == 200
    except OSError:
        return False


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} after {timeout:.0f} s", pytrace=False)
        time.sleep(1)


class Play:
    """A workload played by ``podman kube play`` in its two stages (the Pods: migration and
    schema gate; then the Deployments), its Secrets created first; all taken down after."""

    def __init__(self, podman: Engine, folder: Path, workload: str, options: list[str]) -> None:
        self.podman = podman
        self.secrets = folder / f"{workload}-secrets"
        self.secrets.mkdir()
        self.files = {stage: folder / f"{workload}-{stage}.yaml" for stage in STAGES}
        self.objects: list[dict[str, Any]] = []
        for stage, file in self.files.items():
            rendered = subprocess.run(
                [
                    sys.executable,
                    str(IMAGES / "kube-play"),
                    workload,
                    "--secrets",
                    str(self.secrets),
                    "--only",
                    stage,
                    *options,
                ],
                capture_output=True,
                text=True,
                check=False,
                timeout=180,
            )
            assert rendered.returncode == 0, rendered.stderr
            file.write_text(rendered.stdout)
            self.objects += [item for item in yaml.safe_load_all(rendered.stdout) if item]

    def deployment(self, name: str) -> dict[str, Any]:
        return next(
            item
            for item in self.objects
            if item["kind"] == "Deployment" and item["metadata"]["name"] == name
        )

    def pod_containers(self) -> list[str]:
        """podman's names of the Pods' containers: <pod>-<container>."""
        return [
            f"{item['metadata']['name']}-{container['name']}"
            for item in self.objects
            if item["kind"] == "Pod"
            for container in item["spec"]["containers"]
        ]

    def __enter__(self) -> Play:
        # What an interrupted run may have left under the same names goes first.
        self.remove_pods()
        for secret in sorted(self.secrets.iterdir()):
            self.podman.run("secret", "rm", secret.stem, check=False)
            self.podman.run("secret", "create", secret.stem, str(secret))
        try:
            self.play("pods")
        except BaseException:
            self.__exit__()
            raise
        return self

    def play(self, stage: str) -> None:
        self.podman.run("kube", "play", str(self.files[stage]), timeout=600)

    def pods(self) -> list[str]:
        """podman's names of the pods: a Pod's own, <deployment>-pod-0 for a Deployment."""
        return [
            item["metadata"]["name"] + ("-pod-0" if item["kind"] == "Deployment" else "")
            for item in self.objects
            if item["kind"] in ("Pod", "Deployment")
        ]

    def remove_pods(self) -> None:
        for pod in self.pods():
            self.podman.run("pod", "rm", "--force", pod, check=False, timeout=180)

    def __exit__(self, *_: object) -> None:
        for file in reversed(self.files.values()):
            self.podman.run("kube", "down", str(file), check=False, timeout=180)
        self.remove_pods()
        for secret in self.secrets.iterdir():
            self.podman.run("secret", "rm", secret.stem, check=False)

    def logs(self, container: str) -> str:
        return self.podman.run("logs", container, check=False)[-4000:]


def container_name(deployment: str, container: str) -> str:
    """podman's name for a Deployment's container: <deployment>-pod-0-<container>."""
    return f"{deployment}-pod-0-{container}"


def assert_runs_hardened(podman: Engine, name: str) -> None:
    assert podman.run("exec", name, "id", "-u").strip() == "10001"
    capabilities = podman.run("exec", name, "grep", "CapEff", "/proc/self/status")
    assert capabilities.split()[-1].strip("0") == "", capabilities
    written = subprocess.run(
        [podman.command, "exec", name, "touch", "/written"],
        capture_output=True,
        text=True,
        env=podman.environment,
        check=False,
        timeout=60,
    )
    assert "Read-only file system" in written.stderr, written.stderr
    podman.run("exec", name, "touch", "/tmp/written")  # noqa: S108 (the pod's emptyDir)


def podman_runs_probes_as_shell_lines(podman: Engine) -> bool:
    """podman 4.3 and earlier run an exec probe as one shell line (kube-play's
    ``shell_words``)."""
    version = podman.run("version", "--format", "{{.Client.Version}}").strip()
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) <= (4, 3)


def wait_ready(podman: Engine, play: Play, deployment: str) -> dict[str, Any]:
    """Until the Deployment's container passes its startup probe (run here as the kubelet
    would, every ``periodSeconds``: podman 4.3 does not run it), then its readiness probe
    (asked here: podman does not run it), then its liveness probe (podman's healthcheck,
    run on demand: no systemd here); its container spec."""
    spec = play.deployment(deployment)["spec"]["template"]["spec"]
    container: dict[str, Any] = spec["containers"][0]
    name = container_name(deployment, container["name"])
    for probe in ("startupProbe", "livenessProbe"):
        command = " ".join(container[probe]["exec"]["command"])
        assert f"http://127.0.0.1:{PORTS[deployment]}/healthz" in command, command
    startup = container["startupProbe"]
    command = startup["exec"]["command"]
    argv = ["sh", "-c", " ".join(command)] if podman_runs_probes_as_shell_lines(podman) else command

    def started() -> bool:
        state = podman.run("inspect", "--format", "{{.State.Status}}", name).strip()
        if state != "running":
            pytest.fail(f"{name} is {state}:\n{play.logs(name)}", pytrace=False)
        if podman.answers("exec", name, *argv):
            return True
        time.sleep(startup.get("periodSeconds", 10))
        return False

    wait_for(started, startup["periodSeconds"] * startup["failureThreshold"], f"{name} not started")
    wait_for(lambda: readiness_ok(container), 120, f"{name} is not ready by its probe")
    wait_healthy(podman, name, timeout=60)
    return container


def assert_still_running(podman: Engine, play: Play, name: str) -> None:
    """Running, never restarted (its liveness probe passed all along), and healthy still."""
    podman.run("healthcheck", "run", name, check=False)
    state = podman.run(
        "inspect", "--format", "{{.State.Status}} {{.RestartCount}} {{.State.Health.Status}}", name
    )
    assert state.split() == ["running", "0", "healthy"], f"{name}: {state}\n{play.logs(name)}"


@pytest.fixture(scope="module")
def databases(postgres_admin_url: str) -> Iterator[tuple[str, str]]:
    """Fresh databases, one per service; the options kube-play needs to reach them."""
    suffix = secrets.token_hex(3)
    names = {service: f"kube_play_{service}_{suffix}" for service in SERVICES}
    execute(postgres_admin_url, *(f'CREATE DATABASE "{name}"' for name in names.values()))
    url = make_url(postgres_admin_url)
    try:
        yield f"{url.host}:{url.port}", f"kube_play_{{service}}_{suffix}"
    finally:
        execute(
            postgres_admin_url,
            *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names.values()),
        )


@pytest.fixture(scope="module")
def options(
    databases: tuple[str, str],
    postgres_admin_url: str,
    kafka_bootstrap: str,
    new_topic_prefix: Callable[[str], str],
    kustomize: Path,
) -> list[str]:
    url = make_url(postgres_admin_url)
    postgres, database_name = databases
    return [
        f"--kustomize={kustomize}",
        f"--kafka={kafka_bootstrap}",
        f"--topic-prefix={new_topic_prefix('kubeplay')}",
        f"--postgres={postgres}",
        f"--database-user={url.username}",
        f"--database-password={url.password}",
        f"--database-name={database_name}",
    ]


@pytest.mark.parametrize("service", ["auth", "messages", "notifier", "catalog"])
def test_the_overlay_plays_each_service_from_its_image(
    podman: Engine, options: list[str], tmp_path: Path, service: str
) -> None:
    """The migration Job's pod migrates the database and exits 0, the schema gate (the
    Deployment's init container) waits for it and exits 0; the Deployment's pod starts as
    its manifest says, passes its own probes, runs hardened, and answers a request. The
    catalog plays with the gateway, which serves the portal and forwards /api/catalog/ to
    it by the name its ConfigMap gives."""
    with_gateway = service == "catalog"
    for port in (8000, *((GATEWAY_PORT, GATEWAY_ADMIN_PORT) if with_gateway else ())):
        assert port_free(port), f"port {port} is taken on this machine"
    extra = [
        "--with-gateway",
        f"--gateway-port={GATEWAY_PORT}",
        f"--gateway-admin-port={GATEWAY_ADMIN_PORT}",
    ]
    with Play(podman, tmp_path, service, [*options, *(extra if with_gateway else [])]) as play:
        # The migration Job's pod and the schema gate (which waits for it) end well.
        for name in play.pod_containers():

            def ended(name: str = name) -> bool:
                state = podman.run("inspect", "--format", "{{.State.Status}}", name)
                return state.strip() == "exited"

            wait_for(ended, 300, f"{name} did not finish:\n{play.logs(name)}")
            code = podman.run("inspect", "--format", "{{.State.ExitCode}}", name).strip()
            assert code == "0", play.logs(name)
        play.play("deployments")
        container = wait_ready(podman, play, service)
        assert_runs_hardened(podman, container_name(service, container["name"]))
        path, expected = REQUESTS[service]
        status, content_type, body = get(8000, path)
        if expected is not None:
            assert status == expected, body[:500]
        assert status in (200, 401, 404), body[:500]
        assert content_type.split(";")[0] in ("application/json", "application/problem+json")
        json.loads(body)
        if with_gateway:
            wait_ready(podman, play, "gateway")
            assert_runs_hardened(podman, container_name("gateway", "gateway"))
            portal = get(GATEWAY_PORT, "/")
            assert portal[0] == 200
            assert b"<html" in portal[2].lower()
            assert get(GATEWAY_PORT, f"/api/catalog{path}")[0] == status
            assert_still_running(podman, play, container_name("gateway", "gateway"))
        assert_still_running(podman, play, container_name(service, container["name"]))
