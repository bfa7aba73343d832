"""What an uploaded file really holds, and the copy of it that is stored.

The upload is spooled to a temporary file on disk as it arrives (never whole in memory) and
refused as soon as it passes 10 MB. Then, by its magic numbers:
- JPEG and PNG are decoded and written again (Pillow): the orientation is applied and every
  piece of metadata (EXIF with GPS position, XMP, comments, ICC) is left behind. Only a
  decoded image is held in memory, within ``MAX_PIXELS``.
- HEIC/HEIF (phones' photos) are decoded with libheif (``pi-heif``, decoding only) and
  written as JPEG the same way.
- PDFs are read with pypdf (from the file, lazily) and refused when they carry JavaScript,
  automatic actions, embedded files or are encrypted; they are stored as they came.

Reading a PDF or decoding an image holds the file in memory: at most ``CONCURRENT_CHECKS``
are checked at once per process, whatever the number of uploads arriving together.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pi_heif  # type: ignore[import-untyped]  # no type information shipped
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from messages.domain.attachments import (
    MAX_FILE_BYTES,
    SNIFF_BYTES,
    Kind,
    active_pdf,
    empty_file,
    encrypted_pdf,
    sniff,
    too_large,
    unreadable,
    wrong_type,
)

pi_heif.register_heif_opener()

#: The largest image decoded (50 megapixels: a phone's photo is 12 to 48).
MAX_PIXELS = 50_000_000
#: JPEG quality of re-encoded photos.
JPEG_QUALITY = 88
_CHUNK = 256 * 1024

#: PDF keys that carry code, embedded files or interactive media.
_ACTIVE_PDF_KEYS = frozenset(
    {"/JavaScript", "/JS", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/RichMedia", "/XFA"}
)
#: Actions (``/S``) that run code, open or send something (going to a page is harmless).
_ACTIVE_PDF_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/Rendition",
        "/RichMediaExecute",
    }
)
#: How many files one process checks at once. Reading a PDF (pypdf holds the file and its
#: streams) or decoding an image takes memory in proportion to the file: uploads arriving
#: together wait their turn here, so memory stays bounded however many arrive (the checks
#: are CPU-bound: more at once would not end sooner on a service's one or two cores).
CONCURRENT_CHECKS = 2
_check_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slots = _check_slots.get(loop)
    if slots is None:
        slots = _check_slots[loop] = asyncio.Semaphore(CONCURRENT_CHECKS)
    return slots


#: How many PDF objects are looked at, at most, before the file is judged too complex.
_MAX_PDF_OBJECTS = 200_000


@dataclass(frozen=True)
class Checked:
    """The file to store: its path (a temporary file), kind, size and SHA-256."""

    path: Path
    kind: Kind
    media_type: str
    size: int
    sha256: str


class Spool:
    """A temporary folder for one upload; everything in it goes when it is closed."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="attachment-")
        self.folder = Path(self._folder.name)

    def close(self) -> None:
        self._folder.cleanup()

    async def receive(self, chunks: AsyncIterator[bytes]) -> Path:
        """Write the upload to disk, refusing it once it passes ``MAX_FILE_BYTES``."""
        path = self.folder / "upload"
        size = 0
        async with await anyio.open_file(path, "wb") as output:
            async for chunk in chunks:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise too_large()
                await output.write(chunk)
        if size == 0:
            raise empty_file()
        return path

    async def check(self, upload: Path) -> Checked:
        async with _slots():
            return await anyio.to_thread.run_sync(self._check, upload)

    def _check(self, upload: Path) -> Checked:
        with upload.open("rb") as source:
            kind = sniff(source.read(SNIFF_BYTES))
        if kind is None:
            raise wrong_type()
        if kind is Kind.PDF:
            _check_pdf(upload)
            stored = upload
            media_type = Kind.PDF.value
        else:
            stored = self.folder / "stored"
            media_type = _reencode(upload, stored, kind)
        size, digest = _size_and_digest(stored)
        if size > MAX_FILE_BYTES:  # a re-encoded image may, rarely, grow
            raise too_large()
        return Checked(stored, kind, media_type, size, digest)


def _size_and_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return os.path.getsize(path), digest.hexdigest()


def _reencode(upload: Path, stored: Path, kind: Kind) -> str:
    """Decode the image and write it again without any metadata; its media type."""
    try:
        with Image.open(upload) as image:
            if image.width * image.height > MAX_PIXELS:
                raise unreadable(kind)
            image.load()
            upright = ImageOps.exif_transpose(image)
            if kind is Kind.PNG:
                pixels = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
                pixels.save(stored, format="PNG", optimize=False)
                return Kind.PNG.value
            pixels = upright.convert("RGB")
            pixels.save(stored, format="JPEG", quality=JPEG_QUALITY)
            return Kind.JPEG.value
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise unreadable(kind) from error


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _check_pdf(path: Path) -> None:
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise encrypted_pdf()
        if _has_active_content(reader):
            raise active_pdf()
    except PyPdfError as error:
        raise unreadable(Kind.PDF) from error
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise unreadable(Kind.PDF) from error


def _has_active_content(reader: PdfReader) -> bool:
    """Whether any object reachable from the trailer names JavaScript, an action that runs by
    itself, or an embedded file (the whole object graph, pages and annotations included)."""
    seen: set[tuple[int, int]] = set()
    pending: list[PdfObject] = [reader.trailer]
    visited = 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            ident = (item.idnum, item.generation)
            if ident in seen:
                continue
            seen.add(ident)
            resolved = item.get_object()
            if resolved is None:
                continue
            item = resolved
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise unreadable(Kind.PDF)
        if isinstance(item, DictionaryObject):
            if any(key in _ACTIVE_PDF_KEYS for key in item):
                return True
            if item.get("/S") in _ACTIVE_PDF_ACTIONS:
                return True
            pending.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return False
