"""The letters page, next to the mailbox: the devstack part starts it on the outgoing mail's
folder, it lists the PDF letters newest first and shows each one, and nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.parts import LettersPage, wait_ready
from servicekit.testing import free_port

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n% a letter\n%%EOF\n"


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    monkeypatch.delenv("NOTIFIER_LETTERS_DIR", raising=False)
    config = replace(
        StackConfig(),
        home=tmp_path / "home",
        ports=dict(DEFAULT_PORTS) | {"letters": free_port()},
    )
    config.ensure_folders()
    part = LettersPage(config)
    part.prepare()
    part.start()
    try:
        wait_ready(part, timeout=30)
        yield config.letters_url, config.letters_dir
    finally:
        part.stop()


def test_the_page_lists_the_letters_newest_first_and_shows_each(page: tuple[str, Path]) -> None:
    url, folder = page
    assert "Aucun courrier" in httpx.get(url + "/").text
    older, newer = folder / "courrier-older.pdf", folder / "courrier-newer.pdf"
    older.write_bytes(PDF)
    newer.write_bytes(PDF + b"% newer\n")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    (folder / ".courrier-x.pdf.42.tmp").write_bytes(b"half written")
    (folder / "notes.txt").write_text("not a letter")

    listed = httpx.get(url + "/letters.json").json()
    assert [letter["name"] for letter in listed] == ["courrier-newer.pdf", "courrier-older.pdf"]
    assert listed[1]["posted_at"].startswith("2023-11-14T22:13:20")
    html = httpx.get(url + "/").text
    assert html.index("courrier-newer.pdf") < html.index("courrier-older.pdf")
    assert "14/11/2023 à 23:13:20" in html  # Europe/Paris
    assert "notes.txt" not in html
    assert ".tmp" not in html

    shown = httpx.get(url + listed[0]["url"])
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "application/pdf"
    assert shown.content == newer.read_bytes()


@pytest.mark.parametrize(
    "path",
    ["/notes.txt", "/..%2Fhome%2Fsecret.pdf", "/%2e%2e/secret.pdf", "/missing.pdf", "/sub/x.pdf"],
)
def test_nothing_but_the_letters_is_served(page: tuple[str, Path], path: str) -> None:
    url, folder = page
    (folder / "notes.txt").write_text("not a letter")
    (folder.parent / "secret.pdf").write_bytes(PDF)
    assert httpx.get(url + path).status_code == 404
