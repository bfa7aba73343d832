"""The web apps' API types come from the services' OpenAPI documents, committed beside them.

This test builds each service's document again (``frontends/scripts/openapi.py``, in a process
of its own) and fails when the committed one differs: a route or a response model changed and
``make api-types`` was not run. Vitest checks the other half (``frontends/scripts/api-types.test.ts``:
the committed TypeScript types are what openapi-typescript makes of the committed documents).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "frontends" / "scripts" / "openapi.py"
API_FOLDER = ROOT / "frontends" / "shared" / "api"
SERVICES = ("auth", "catalog", "messages", "notifier")


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """The documents as the services describe themselves now."""
    built = subprocess.run(
        [sys.executable, str(SCRIPT), "--stdout"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    result: dict[str, dict[str, Any]] = json.loads(built.stdout)
    return result


def differences(committed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The paths and schemas added, removed or changed, to say what to look at."""
    found = []
    for section, before, after in (
        ("path", committed.get("paths", {}), current.get("paths", {})),
        (
            "schema",
            committed.get("components", {}).get("schemas", {}),
            current.get("components", {}).get("schemas", {}),
        ),
    ):
        for name in sorted(before.keys() | after.keys()):
            if before.get(name) != after.get(name):
                change = (
                    "added" if name not in before else "removed" if name not in after else "changed"
                )
                found.append(f"{section} {name} {change}")
    return found or ["the document's other parts (info, tags...)"]


def test_every_service_has_a_committed_document() -> None:
    assert sorted(path.name for path in API_FOLDER.glob("*.openapi.json")) == sorted(
        f"{service}.openapi.json" for service in SERVICES
    )


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_document_is_the_services_own(
    documents: dict[str, dict[str, Any]], service: str
) -> None:
    committed = json.loads((API_FOLDER / f"{service}.openapi.json").read_text(encoding="utf-8"))
    current = documents[service]
    if current != committed:
        pytest.fail(
            f"frontends/shared/api/{service}.openapi.json is not what the {service} service "
            f"describes now ({'; '.join(differences(committed, current))}): run `make api-types` "
            "and commit the documents with the TypeScript types generated from them.",
            pytrace=False,
        )
