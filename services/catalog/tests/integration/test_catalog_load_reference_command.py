"""``python -m catalog setup-local`` / ``load-reference``, as ``make run`` and operators run
them, against a real database."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


async def run_catalog(database_url: str, *args: str) -> tuple[int, str, str]:
    environment = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "console",
        "CATALOG_DATABASE_URL": database_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "catalog",
        *args,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_the_reference_data_is_published_once_and_reloading_it_changes_nothing(
    database_url: str, client: httpx.AsyncClient, tokens: Any
) -> None:
    status, out, err = await run_catalog(database_url, "setup-local")
    assert status == 0, err
    assert "published as version 1" in out

    status, out, err = await run_catalog(database_url, "load-reference")
    assert status == 0, err
    assert "unchanged" in out

    versions = (await client.get("/admin/versions", headers=tokens.as_admin())).json()
    assert [version["version"] for version in versions["data"]] == [1]
    tree = (await client.get("/tree")).json()
    assert tree["version"] == 1
    assert len(tree["themes"]) == 5


async def test_a_node_dropped_from_the_file_is_kept_deactivated(
    database_url: str, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    status, _, err = await run_catalog(database_url, "load-reference")
    assert status == 0, err
    shipped = Path(__file__).parents[2] / "src" / "catalog" / "reference" / "catalog.yaml"
    lines = shipped.read_text("utf-8").splitlines(keepends=True)
    # The file no longer lists one motif.
    start = next(i for i, line in enumerate(lines) if "code: rc-rachat-trimestres" in line)
    assert "label:" in lines[start + 1]
    del lines[start : start + 2]
    edited = tmp_path / "catalog.yaml"
    edited.write_text("".join(lines), "utf-8")

    # As a deployment runs it: admins own the catalog once a version exists.
    status, out, err = await run_catalog(
        database_url, "load-reference", "--if-unpublished", "--file", str(edited)
    )
    assert status == 0, err
    assert "already published" in out

    status, out, err = await run_catalog(database_url, "load-reference", "--file", str(edited))

    assert status == 0, err
    assert "published as version 2" in out
    dropped = (await client.get("/nodes/rc-rachat-trimestres")).json()
    assert dropped["active"] is False
    assert dropped["label"] == "Racheter des trimestres"
    assert dropped["path"][-1]["code"] == "retraite-carriere"
    tree = (await client.get("/tree")).json()
    assert tree["version"] == 2
    retraite = next(theme for theme in tree["themes"] if theme["code"] == "retraite")
    carriere = next(s for s in retraite["subjects"] if s["code"] == "retraite-carriere")
    assert "rc-rachat-trimestres" not in [motif["code"] for motif in carriere["motifs"]]


async def test_a_broken_file_is_refused_with_its_lines_and_nothing_is_published(
    database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "catalog.yaml"
    broken.write_text(
        "themes:\n"
        "  - code: famille\n"
        "    label: Famille\n"
        "    response_time_days: 10\n"
        "    subjects:\n"
        "      - code: famille-allocations\n"
        "        label: Allocations familiales\n"
        "        motifs:\n"
        "          - code: af-autre\n"
        "            label: Autre\n"
        "            online_service: {title: X, url: 'pas une adresse'}\n"
        "          - code: af-autre\n"
        "            label: Autre encore\n",
        "utf-8",
    )

    status, out, err = await run_catalog(database_url, "load-reference", "--file", str(broken))

    assert status == 1
    assert f"{broken}:11:" in err  # the address
    assert f"{broken}:12:" in err  # the second af-autre
    assert "published" not in out
