"""The rules a file follows before it is kept: its type from its content, its size, what is
stripped or refused in it, its name, and the limits of one message."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from messages.adapters.attachments_content import Spool
from messages.domain.attachments import (
    MAX_FILE_BYTES,
    Attachment,
    AttachmentRefused,
    AttachmentTooLarge,
    AttachmentUnavailable,
    Kind,
    ScanStatus,
    check_selection,
    clean_name,
    size_fr,
    sniff,
)
from messages.domain.receipts import canonical_form
from services.messages.tests.support import a_thread, photo_with_gps, sample_pdf

pytestmark = pytest.mark.unit

HEIC_PHOTO = Path(__file__).with_name("test_attachments_photo.heic")


async def _chunks(content: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start : start + size]


async def check(content: bytes) -> tuple[Kind, str, bytes]:
    spool = Spool()
    try:
        checked = await spool.check(await spool.receive(_chunks(content)))
        return checked.kind, checked.media_type, checked.path.read_bytes()
    finally:
        spool.close()


def _pdf_with(build: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if build == "javascript":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('bonjour');"),
            }
        )
    elif build == "embedded":
        writer.add_attachment("programme.exe", b"MZ\x90\x00")
    elif build == "encrypted":
        writer.encrypt("secret")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def an_upload(size: int, **overrides: object) -> Attachment:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "storage_key": "objects/x",
        "name": "facture.pdf",
        "media_type": "application/pdf",
        "size": size,
        "sha256": "0" * 64,
        "fund": "NPC",
        "uploader_kind": "member",
        "uploader_id": uuid.uuid4(),
        "created_at": datetime(2026, 12, 3, tzinfo=UTC),
    }
    return Attachment(**(values | overrides))  # type: ignore[arg-type]


# --- the type comes from the content -----------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.7\n", Kind.PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", Kind.JPEG),
        (b"\x89PNG\r\n\x1a\n\x00\x00", Kind.PNG),
        (b"\x00\x00\x00\x1cftypheic\x00\x00", Kind.HEIC),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows program
        (b"PK\x03\x04", None),  # a zip (a .docx too)
        (b"GIF89a", None),
        (b"<html><script>", None),
    ],
)
def test_the_type_is_read_from_the_first_bytes(head: bytes, kind: Kind | None) -> None:
    assert sniff(head) is kind


async def test_a_program_renamed_pdf_is_refused_in_french() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        await check(b"MZ\x90\x00" + bytes(2000))
    assert refused.value.code == "attachment-type-refused"
    assert "PDF, une image JPEG ou PNG" in refused.value.detail


async def test_a_file_of_10_mb_passes_and_one_byte_more_is_refused_while_it_arrives() -> None:
    spool = Spool()
    try:
        path = await spool.receive(_chunks(b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES - 9)))
        assert path.stat().st_size == MAX_FILE_BYTES
    finally:
        spool.close()
    spool = Spool()
    try:
        with pytest.raises(AttachmentTooLarge) as refused:
            await spool.receive(_chunks(bytes(MAX_FILE_BYTES + 1)))
        assert "10 Mo" in refused.value.detail
    finally:
        spool.close()


async def test_an_empty_file_is_refused() -> None:
    with pytest.raises(AttachmentRefused, match="vide"):
        await check(b"")


# --- what is kept of a file ------------------------------------------------------------------


async def test_a_plain_pdf_is_kept_byte_for_byte() -> None:
    pdf = sample_pdf()
    kind, media_type, stored = await check(pdf)
    assert (kind, media_type, stored) == (Kind.PDF, "application/pdf", pdf)


@pytest.mark.parametrize(
    ("build", "code"),
    [
        ("javascript", "attachment-active-content"),
        ("embedded", "attachment-active-content"),
        ("encrypted", "attachment-encrypted"),
    ],
)
async def test_a_pdf_with_code_an_embedded_file_or_a_password_is_refused(
    build: str, code: str
) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        await check(_pdf_with(build))
    assert refused.value.code == code


async def test_a_damaged_pdf_is_refused_as_unreadable() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        await check(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    assert refused.value.code == "attachment-unreadable"


async def test_a_photo_loses_its_gps_position_and_camera_but_keeps_its_pixels() -> None:
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it had a position
    kind, media_type, stored = await check(original)
    assert (kind, media_type) == (Kind.JPEG, "image/jpeg")
    image = Image.open(io.BytesIO(stored))
    assert image.size == (320, 240)
    assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in stored
    assert abs(image.getpixel((10, 10))[2] - 200) < 8  # type: ignore[index]


async def test_a_png_stays_a_png_with_its_transparency() -> None:
    output = io.BytesIO()
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(output, format="PNG")
    kind, media_type, stored = await check(output.getvalue())
    assert (kind, media_type) == (Kind.PNG, "image/png")
    assert Image.open(io.BytesIO(stored)).getpixel((1, 1))[3] == 0  # type: ignore[index]


async def test_a_heic_photo_from_a_phone_becomes_a_jpeg() -> None:
    kind, media_type, stored = await check(HEIC_PHOTO.read_bytes())
    assert (kind, media_type) == (Kind.HEIC, "image/jpeg")
    image = Image.open(io.BytesIO(stored))
    assert (image.format, image.size) == ("JPEG", (64, 48))


async def test_an_image_that_does_not_decode_is_refused() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        await check(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert refused.value.code == "attachment-unreadable"


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "kept"),
    [
        ("Facture EDF.pdf", Kind.PDF, "Facture EDF.pdf"),
        ("C:\\Users\\camille\\Documents\\bail.PDF", Kind.PDF, "bail.pdf"),
        ("../../etc/passwd", Kind.PDF, "passwd.pdf"),
        ("IMG_0042.HEIC", Kind.HEIC, "IMG_0042.jpg"),
        ("photo.jpeg", Kind.JPEG, "photo.jpg"),
        ("scan.pdf", Kind.PNG, "scan.pdf.png"),  # the name lied: the real type wins
        ("a\u0000b\u202e\ttab.pdf", Kind.PDF, "a b tab.pdf"),
        ("e\u0301te\u0301.pdf", Kind.PDF, "\u00e9t\u00e9.pdf"),  # NFC
        ("...", Kind.PDF, "document.pdf"),
    ],
)
def test_the_name_is_kept_without_folders_or_control_characters(
    raw: str, kind: Kind, kept: str
) -> None:
    assert clean_name(raw, kind) == kept


def test_a_very_long_name_is_cut_but_keeps_its_extension() -> None:
    name = clean_name("x" * 300 + ".pdf", Kind.PDF)
    assert len(name) == 120
    assert name.endswith("x.pdf")


# --- one message's limits ----------------------------------------------------------------------


def test_five_files_and_20_mb_pass() -> None:
    files = [an_upload(4 * 1024 * 1024) for _ in range(5)]
    check_selection(files, [file.id for file in files])


def test_a_sixth_file_is_refused() -> None:
    files = [an_upload(1000) for _ in range(6)]
    with pytest.raises(AttachmentRefused) as refused:
        check_selection(files, [file.id for file in files])
    assert refused.value.code == "attachment-too-many"
    assert "5 fichiers au plus" in refused.value.detail


def test_more_than_20_mb_together_is_refused() -> None:
    files = [an_upload(10 * 1024 * 1024), an_upload(10 * 1024 * 1024), an_upload(1)]
    with pytest.raises(AttachmentRefused, match="20 Mo au total"):
        check_selection(files, [file.id for file in files])


def test_the_same_file_twice_is_refused() -> None:
    file = an_upload(1000)
    with pytest.raises(AttachmentRefused, match="deux fois"):
        check_selection([file, file], [file.id, file.id])


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (ScanStatus.PENDING, "attachment-scan-pending"),
        (ScanStatus.INFECTED, "attachment-quarantined"),
    ],
)
def test_only_a_clean_file_may_be_downloaded(status: ScanStatus, code: str) -> None:
    with pytest.raises(AttachmentUnavailable) as unavailable:
        an_upload(10, scan_status=status).downloadable()
    assert unavailable.value.code == code
    an_upload(10, scan_status=ScanStatus.CLEAN).downloadable()


def test_sizes_are_shown_in_french() -> None:
    assert size_fr(350 * 1024) == "350 ko"
    assert size_fr(1258291) == "1,2 Mo"


def test_the_proof_of_deposit_fingerprints_the_files_names_and_sizes() -> None:
    from messages.domain.model import Message

    thread = a_thread()
    message = Message(
        id=uuid.uuid4(),
        thread_id=thread.id,
        author_kind="member",
        author_id=thread.member_id,
        author_name="Camille MARTIN",
        body="Voici mon attestation.",
        created_at=thread.created_at,
    )
    files = [an_upload(48213, name="attestation.pdf"), an_upload(1200, name="été.jpg")]
    without = canonical_form(thread, message)
    with_files = canonical_form(thread, message, files)
    assert b'"attachments":[]' in without
    assert (
        '"attachments":[{"name":"attestation.pdf","size":48213},{"name":"été.jpg","size":1200}]'
        in with_files.decode()
    )
