"""The activation code sent by post: the auth service asks (``ActivationLetterRequested``),
the notifier prints a French PDF letter and drops it, once, in the outgoing mail."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from contracts.events.registry import ActivationLetterRequested, PostalAddress
from notifier.adapters.orm import LETTERS
from servicekit.testing import eventually
from services.notifier.tests.support import NotifierFactory

pytestmark = pytest.mark.integration


def letter_request(**overrides: object) -> ActivationLetterRequested:
    fields: dict[str, object] = {
        "member_id": uuid.uuid4(),
        "fund": "CNO",
        "recipient": "Anaïs Françoise LEFÈVRE",
        "address": PostalAddress(
            lines=["Bâtiment B", "3 chemin du Moulin"], postal_code="50000", city="SAINT-LÔ"
        ),
        "code": "482913",
        "expires_at": datetime(2026, 12, 24, 16, 30, tzinfo=UTC),
    }
    return ActivationLetterRequested.new(producer="auth", **(fields | overrides))


def letters_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pdf"))


def pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_the_activation_letter_says_who_from_to_whom_the_code_and_until_when(
    notifier_factory: NotifierFactory, tmp_path: Path
) -> None:
    notifier = await (await notifier_factory(letters_dir=tmp_path)).start()
    request = letter_request()
    await notifier.publish(request)
    await notifier.wait_processed(request.event_id)

    [letter] = letters_in(tmp_path)
    text = pdf_text(letter)
    # The fund's name and address, the recipient's, in French with its accents.
    for expected in (
        "MSA Côtes Normandes",
        "Service relation adhérents",
        "50000 SAINT-LÔ CEDEX",
        "Anaïs Françoise LEFÈVRE",
        "Bâtiment B",
        "3 chemin du Moulin",
        "50000 SAINT-LÔ",
        "Code d'activation : 482913",
        # 16:30 UTC is 17:30 in Paris on 24 December.
        "jeudi 24 décembre 2026 à 17 h 30",
        "/inscription/activation",
        "Si vous n'êtes pas à l'origine de cette demande",
    ):
        assert expected in text, f"{expected!r} not in the letter:\n{text}"
    assert "482913" not in letter.name, "the file name gives nothing away"


async def test_a_letter_asked_twice_is_posted_once(
    notifier_factory: NotifierFactory, tmp_path: Path
) -> None:
    notifier = await (await notifier_factory(letters_dir=tmp_path)).start()
    request = letter_request()
    other = letter_request(code="730114")
    await notifier.publish(request, request, other)
    await notifier.wait_processed(request.event_id, other.event_id)

    async def recorded() -> int:
        async with notifier.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(LETTERS)) or 0)

    assert await eventually(recorded) == 2
    letters = sorted(path.name for path in letters_in(tmp_path))
    assert letters == sorted([f"courrier-{request.event_id}.pdf", f"courrier-{other.event_id}.pdf"])
    async with notifier.engine.connect() as connection:
        row = (
            (await connection.execute(select(LETTERS).where(LETTERS.c.id == request.event_id)))
            .mappings()
            .one()
        )
    assert (row["postal_code"], row["city"], row["fund"]) == ("50000", "SAINT-LÔ", "CNO")
    assert "482913" not in str(dict(row)), "the code is kept nowhere but in the letter"
