"""Fixtures of the deployment tests: the repository, the pinned tools, rendered overlays."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
MAKE_HINT = "run `make deploy-tools` (or `make test`, which runs it)"


def tool(name: str, *folders: Path) -> Path:
    """A pinned tool from ``folders`` (never whatever the PATH has); fails clearly if missing."""
    for folder in folders:
        found = shutil.which(name, path=str(folder))
        if found:
            return Path(found)
    places = ", ".join(str(folder) for folder in folders)
    pytest.fail(f"{name} is not installed in {places}: {MAKE_HINT}", pytrace=False)


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return tool("kustomize", ROOT / ".cache" / "bin")


@pytest.fixture(scope="session")
def hadolint() -> Path:
    return tool("hadolint", Path(sysconfig.get_path("scripts")), ROOT / ".venv" / "bin")


Render = Callable[[Path], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def render(kustomize: Path) -> Render:
    """``kustomize build`` of a folder, as a list of objects (cached per folder)."""
    rendered: dict[Path, list[dict[str, Any]]] = {}

    def build(folder: Path) -> list[dict[str, Any]]:
        if folder not in rendered:
            result = subprocess.run(
                [str(kustomize), "build", str(folder)],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            assert result.returncode == 0, f"kustomize build {folder} failed:\n{result.stderr}"
            rendered[folder] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        return rendered[folder]

    return build


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, render: Render) -> tuple[str, list[dict[str, Any]]]:
    """Each overlay's name and rendered objects."""
    name: str = request.param
    return name, render(K8S / "overlays" / name)
