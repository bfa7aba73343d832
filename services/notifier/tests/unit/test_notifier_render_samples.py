"""``python -m notifier render-samples``: every email to files a person can open."""

from __future__ import annotations

import email.policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from notifier.__main__ import cli
from notifier.domain.model import DeliveryKind

pytestmark = pytest.mark.unit


def test_render_samples_writes_every_kind_as_html_text_and_eml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["render-samples", "--out", str(tmp_path), "--fund", "CNO"]) == 0
    for kind in DeliveryKind:
        html = (tmp_path / f"{kind.value}.html").read_text("utf-8")
        text = (tmp_path / f"{kind.value}.txt").read_text("utf-8")
        eml = BytesParser(policy=email.policy.default).parsebytes(
            (tmp_path / f"{kind.value}.eml").read_bytes()
        )
        assert html.startswith("<!DOCTYPE html>")
        assert "MSA Côtes Normandes" in html
        assert text.startswith("MSA Côtes Normandes")
        assert eml.get_content_type() == "multipart/alternative"
    assert "written to" in capsys.readouterr().out
