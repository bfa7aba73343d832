"""The proof of deposit: the canonical form and its fingerprint, comparing fingerprints, and
what the PDF says (its text extracted with pypdf)."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pypdf

from messages.adapters.receipt_pdf import (
    ReceiptPrinter,
    fingerprint_in_pdf,
    printable,
    wrapped_lines,
)
from messages.domain.model import Message
from messages.domain.receipts import (
    canonical_form,
    deposit_digest,
    digest_matches,
    normalised_digest,
)
from messages.domain.views import Receipt
from services.messages.tests.support import a_thread

TEXT = "Bonjour, j'ai déménagé le 1er février : voici ma nouvelle adresse.\nMerci."
SENT = datetime(2026, 2, 2, 9, 30, 1, 123456, tzinfo=UTC)


def a_message(thread_id: uuid.UUID, **overrides: object) -> Message:
    values: dict[str, object] = {
        "id": uuid.UUID("0b0e7a43-9d4e-4c59-8f4e-0d7c1b2a3c4d"),
        "thread_id": thread_id,
        "author_kind": "member",
        "author_id": uuid.uuid4(),
        "author_name": "Camille MARTIN",
        "body": TEXT,
        "created_at": SENT,
    }
    return Message(**(values | overrides))  # type: ignore[arg-type]


def test_the_canonical_form_is_sorted_compact_utf8_json_of_what_was_submitted() -> None:
    thread = a_thread()
    message = a_message(thread.id)

    form = canonical_form(thread, message)

    expected = {
        "attachments": [],
        "follow_up": False,
        "fund": "NPC",
        "message_id": "0b0e7a43-9d4e-4c59-8f4e-0d7c1b2a3c4d",
        "motif": {"code": "af-changement-situation", "label": "Mon changement de situation"},
        "reference": "NPC-2026-000123",
        "subject": {"code": "famille-allocations", "label": "Allocations familiales"},
        "submitted_at": "2026-02-02T09:30:01.123456Z",
        "text": TEXT,
        "theme": {
            "code": "famille",
            "label": "Famille, Allocations familiales, aides au logement",
        },
        "version": 1,
    }
    assert form == json.dumps(
        expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert b'": ' not in form
    assert "déménagé".encode() in form  # the letters themselves, not \u escapes
    assert deposit_digest(thread, message) == hashlib.sha256(form).hexdigest()


def test_the_canonical_form_takes_the_text_in_nfc_and_the_time_in_utc_to_the_microsecond() -> None:
    thread = a_thread()
    composed = a_message(thread.id)
    decomposed = a_message(
        thread.id,
        body=TEXT.replace("é", "e\N{COMBINING ACUTE ACCENT}"),
        created_at=SENT.astimezone(timezone(timedelta(hours=1))),
    )
    assert canonical_form(thread, decomposed) == canonical_form(thread, composed)
    whole_second = a_message(thread.id, created_at=SENT.replace(microsecond=0))
    assert b'"submitted_at":"2026-02-02T09:30:01.000000Z"' in canonical_form(thread, whole_second)


def test_every_part_changes_the_fingerprint_even_one_byte_of_the_text() -> None:
    thread = a_thread()
    message = a_message(thread.id)
    digest = deposit_digest(thread, message)
    changed = [
        deposit_digest(thread, replace(message, body=TEXT.replace("1er", "2 "))),
        deposit_digest(thread, replace(message, body=TEXT + " ")),
        deposit_digest(thread, replace(message, created_at=SENT + timedelta(microseconds=1))),
        deposit_digest(thread, replace(message, follow_up=True)),
        deposit_digest(replace(thread, reference="NPC-2026-000124"), message),
    ]
    assert digest not in changed
    assert not digest_matches(changed[0], [digest])


def test_fingerprints_are_compared_whole_and_an_unknown_reference_never_matches() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert digest_matches(digest, ["f" * 64, digest])
    assert not digest_matches(digest[:-1] + "0", [digest])
    assert not digest_matches("0" * 64, [])
    assert not digest_matches(digest, [])
    assert normalised_digest(f"  {digest.upper()} ") == digest
    assert normalised_digest(digest[:-1]) is None
    assert normalised_digest("z" * 64) is None


def render(**overrides: object) -> tuple[Receipt, bytes]:
    thread = a_thread()
    message = a_message(thread.id, **overrides)
    receipt = Receipt(thread, message, deposit_digest(thread, message), "MSA Nord-Pas de Calais")
    return receipt, ReceiptPrinter("https://mes-messages.example/").render(receipt)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_shows_the_fund_the_reference_the_paris_time_the_labels_the_text_and_the_hash() -> (
    None
):
    receipt, pdf = render()
    text = text_of(pdf)

    assert pdf.startswith(b"%PDF-")
    for expected in (
        "MSA Nord-Pas de Calais",
        "Accusé de dépôt",
        "NPC-2026-000123",
        "lundi 2 février 2026 à 10:30:01 (heure de Paris)",  # 09:30:01 UTC, winter time
        "Famille, Allocations familiales, aides au logement",
        "Allocations familiales",
        "Mon changement de situation",
        "j'ai déménagé le 1er février : voici ma nouvelle adresse.",
        "au plus tard le lundi 9 février 2026",
        receipt.digest,
        "Vérifier un accusé de",
        "https://mes-messages.example/verifier-un-accuse-de-depot",
    ):
        assert expected in text, expected
    assert fingerprint_in_pdf(pdf) == receipt.digest


def test_the_pdf_is_the_same_bytes_for_the_same_message() -> None:
    _, first = render()
    _, second = render()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    _, other = render(body=TEXT + "!")
    assert other != first


def test_the_pdf_prints_french_letters_and_replaces_what_the_font_lacks() -> None:
    body = "Mon cœur, ŒUVRE\N{NARROW NO-BREAK SPACE}: 100\N{NO-BREAK SPACE}€ — «\N{NO-BREAK SPACE}ok\N{NO-BREAK SPACE}» 🙂"
    assert printable(body) == body.replace("🙂", "\N{REPLACEMENT CHARACTER}")
    receipt, pdf = render(body=body)
    text = text_of(pdf)
    assert "Mon cœur, ŒUVRE" in text
    assert "€" in text
    assert "«" in text
    assert "\N{REPLACEMENT CHARACTER}" in text
    # The fingerprint is the text as received, emoji included.
    assert receipt.digest == deposit_digest(receipt.thread, receipt.message)


def test_a_pdf_that_is_not_a_receipt_carries_no_fingerprint() -> None:
    assert fingerprint_in_pdf(b"%PDF-1.7 nothing here") is None


def test_the_text_is_cut_at_its_line_breaks_between_words_and_inside_too_long_a_word() -> None:
    def width(text: str) -> float:
        return float(len(text))

    assert wrapped_lines("ab cd ef\n\nxyzxyzxyzxyz gh", 5, width) == [
        "ab cd",
        "ef",
        "",
        "xyzxy",
        "zxyzx",
        "yz gh",
    ]
    assert wrapped_lines("", 5, width) == [""]


def test_a_long_text_keeps_every_word_in_the_pdf() -> None:
    words = [f"mot{number}" for number in range(150)]
    body = " ".join(words[:100]) + "\n" + "x" * 300 + "\n" + " ".join(words[100:])
    _, pdf = render(body=body)
    text = text_of(pdf)
    for word in words:
        assert f"{word} " in text or f"{word}\n" in text or text.endswith(word), word
    assert text.replace("\n", "").count("x" * 50) >= 1
