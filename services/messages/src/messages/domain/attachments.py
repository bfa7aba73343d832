"""Attachments: the rules a file must follow to be joined to a message or a reply.

- The type is decided from the first bytes (magic numbers), never from the name or what the
  browser says: PDF, JPEG, PNG, and HEIC/HEIF (phones' photos), which is converted to JPEG.
- At most 10 MB a file, 5 files and 20 MB a message.
- The name is kept for the people of the thread (NFC, no control characters, no folders, at
  most 120 characters); it is shown escaped and never put in an event nor a log.
- A file is downloadable only once the antivirus found it clean; an infected file is
  quarantined and never served.

No I/O here: ``adapters/attachments_content.py`` checks and re-encodes the content.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from messages.domain.errors import MessagesError

MEGABYTE = 1024 * 1024
#: The largest file accepted, in bytes (10 MB).
MAX_FILE_BYTES = 10 * MEGABYTE
#: At most this many files with one message or reply.
MAX_FILES_PER_MESSAGE = 5
#: At most this many bytes of files with one message or reply (20 MB).
MAX_MESSAGE_BYTES = 20 * MEGABYTE
#: How long an upload not sent with a message is kept.
UNATTACHED_LIFETIME_HOURS = 24
#: The longest file name kept (longer ones keep their start and their extension).
MAX_NAME_CHARACTERS = 120
#: How many bytes are enough to tell the types apart.
SNIFF_BYTES = 16

UploaderKind = Literal["member", "agent"]

LIMITS_FR = (
    "Formats acceptés : PDF, JPEG, PNG ou HEIC (photo de téléphone). "
    "Taille maximale : 10 Mo par fichier, 5 fichiers et 20 Mo au total par message."
)


class Kind(StrEnum):
    """What the content is, by its magic numbers."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    HEIC = "image/heic"


#: The extension a file of each kind is stored and offered with.
EXTENSIONS: dict[Kind, str] = {
    Kind.PDF: ".pdf",
    Kind.JPEG: ".jpg",
    Kind.PNG: ".png",
    Kind.HEIC: ".jpg",
}

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def sniff(head: bytes) -> Kind | None:
    """The kind of a file from its first bytes (``SNIFF_BYTES`` are enough), or None."""
    if head.startswith(b"%PDF-"):
        return Kind.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return Kind.HEIC
    return None


class ScanStatus(StrEnum):
    PENDING = "pending"
    CLEAN = "clean"
    INFECTED = "infected"


class AttachmentRefused(MessagesError):
    """A file that does not follow the rules (type, size, content): 422, said in French."""


class AttachmentTooLarge(MessagesError):
    """A file over 10 MB: 413."""


class AttachmentNotFound(MessagesError):
    """No such file, or not the caller's to see (never a hint that it exists): 404."""


class AttachmentUnavailable(MessagesError):
    """The file exists but cannot be downloaded: still being scanned, or quarantined: 409."""


class AttachmentLocked(MessagesError):
    """The file was sent with a message: it can no longer be deleted: 409."""


def too_large() -> AttachmentTooLarge:
    return AttachmentTooLarge(
        "attachment-too-large",
        "Ce fichier dépasse 10 Mo : réduisez-le (photo moins lourde, PDF compressé) "
        "ou envoyez-le en plusieurs parties.",
        max_bytes=MAX_FILE_BYTES,
    )


def wrong_type() -> AttachmentRefused:
    return AttachmentRefused(
        "attachment-type-refused",
        "Ce type de fichier n'est pas accepté : joignez un PDF, une image JPEG ou PNG, "
        "ou une photo HEIC.",
    )


def empty_file() -> AttachmentRefused:
    return AttachmentRefused("attachment-empty", "Ce fichier est vide : choisissez-en un autre.")


def unreadable(kind: Kind) -> AttachmentRefused:
    what = "ce PDF" if kind is Kind.PDF else "cette image"
    return AttachmentRefused(
        "attachment-unreadable",
        f"Nous ne parvenons pas à lire {what} : il est peut-être endommagé. "
        "Enregistrez-le à nouveau puis joignez-le.",
    )


def active_pdf() -> AttachmentRefused:
    return AttachmentRefused(
        "attachment-active-content",
        "Ce PDF contient du code (JavaScript), des actions automatiques ou des fichiers "
        "intégrés, qui ne sont pas acceptés : imprimez-le en PDF ou numérisez-le, puis "
        "joignez ce nouveau fichier.",
    )


def encrypted_pdf() -> AttachmentRefused:
    return AttachmentRefused(
        "attachment-encrypted",
        "Ce PDF est protégé par un mot de passe : enregistrez-en une copie sans protection, "
        "puis joignez-la.",
    )


def attachment_not_found() -> AttachmentNotFound:
    return AttachmentNotFound(
        "attachment-not-found", "Ce fichier n'existe pas ou n'est plus disponible."
    )


@dataclass
class Attachment:
    id: uuid.UUID
    storage_key: str
    name: str
    media_type: str
    size: int
    sha256: str
    fund: str
    uploader_kind: UploaderKind
    uploader_id: uuid.UUID
    created_at: datetime
    scan_status: ScanStatus = ScanStatus.PENDING
    scanned_at: datetime | None = None
    thread_id: uuid.UUID | None = None
    message_id: uuid.UUID | None = None
    position: int | None = None
    attached_at: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.message_id is not None

    def downloadable(self) -> None:
        """Raise unless the file may be served: clean for the antivirus."""
        if self.scan_status is ScanStatus.INFECTED:
            raise AttachmentUnavailable(
                "attachment-quarantined",
                "Ce fichier a été bloqué par l'antivirus : il ne peut pas être ouvert. "
                "Si vous l'avez envoyé, joignez une version saine du document.",
            )
        if self.scan_status is ScanStatus.PENDING:
            raise AttachmentUnavailable(
                "attachment-scan-pending",
                "Ce fichier est en cours d'analyse antivirus : réessayez dans quelques instants.",
            )


def clean_name(raw: str, kind: Kind) -> str:
    """The name kept for a file: NFC, no folders, no control characters, at most
    ``MAX_NAME_CHARACTERS``, ending with the extension of what it really is."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") else char
        for char in name
    )
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not (dot and f".{extension.lower()}" in _ALIASES[kind]):
        stem = name
    wanted = EXTENSIONS[kind]
    stem = stem[: MAX_NAME_CHARACTERS - len(wanted)].rstrip(" .") or "document"
    return stem + wanted


_ALIASES: dict[Kind, frozenset[str]] = {
    Kind.PDF: frozenset({".pdf"}),
    Kind.JPEG: frozenset({".jpg", ".jpeg", ".jpe"}),
    Kind.PNG: frozenset({".png"}),
    Kind.HEIC: frozenset({".heic", ".heif", ".jpg", ".jpeg"}),
}


def check_selection(attachments: Sequence[Attachment], requested: Sequence[uuid.UUID]) -> None:
    """The files chosen for one message: at most 5, at most 20 MB together, each once."""
    if len(set(requested)) != len(requested):
        raise AttachmentRefused(
            "attachment-duplicate", "Le même fichier est joint deux fois : retirez-en un."
        )
    if len(requested) > MAX_FILES_PER_MESSAGE:
        raise AttachmentRefused(
            "attachment-too-many",
            "Vous pouvez joindre 5 fichiers au plus à un message : retirez-en "
            f"{len(requested) - MAX_FILES_PER_MESSAGE}.",
            max_files=MAX_FILES_PER_MESSAGE,
        )
    if sum(attachment.size for attachment in attachments) > MAX_MESSAGE_BYTES:
        raise AttachmentRefused(
            "attachment-total-too-large",
            "Les fichiers joints dépassent 20 Mo au total : retirez-en un ou réduisez-les.",
            max_bytes=MAX_MESSAGE_BYTES,
        )


def attachable(attachment: Attachment | None) -> Attachment:
    """An upload that may still be sent: the caller's own, not sent yet, not quarantined."""
    if attachment is None or attachment.sent:
        raise AttachmentRefused(
            "attachment-unavailable",
            "Un des fichiers joints n'est plus disponible (envoyé ou supprimé) : "
            "retirez-le et joignez-le à nouveau.",
        )
    if attachment.scan_status is ScanStatus.INFECTED:
        raise AttachmentRefused(
            "attachment-quarantined",
            "Un des fichiers joints a été bloqué par l'antivirus : retirez-le pour envoyer "
            "votre message.",
        )
    return attachment


def size_fr(size: int) -> str:
    """« 1,2 Mo », « 350 ko »: how a size is shown."""
    if size >= MEGABYTE:
        return f"{size / MEGABYTE:.1f} Mo".replace(".", ",")
    return f"{max(1, round(size / 1024))} ko"
