"""The proof of deposit (« accusé de dépôt »): the canonical form of what a member submitted,
its SHA-256 fingerprint, and how a fingerprint someone shows is compared with the stored one.

Canonical form, version 1 (frozen: a change makes a version 2, older messages keep theirs)::

    UTF-8 JSON, keys sorted, no spaces (separators "," and ":"), non-ASCII characters as
    themselves (not \\u escapes), of
    {"attachments": [],
     "follow_up": false,
     "fund": "NPC",
     "message_id": "<UUID, lower case>",
     "motif": {"code": ..., "label": ...},
     "reference": "NPC-2026-000123",
     "subject": {"code": ..., "label": ...},
     "submitted_at": "2026-02-02T09:30:00.123456Z",   # UTC, to the microsecond
     "text": "<the text as stored: NFC, trimmed, line breaks as \\n>",
     "theme": {"code": ..., "label": ...},
     "version": 1}

``attachments`` lists the files sent with the message: one ``{"name", "size"}`` (the file
name as kept, in NFC, and the stored size in bytes) per file, in the order sent; ``[]`` for a
message sent without any.

The fingerprint is the lower-case hexadecimal SHA-256 of those bytes. It is stored with the
message (``messages.deposit_sha256``) and printed on the PDF; it is never put in an event nor
in a log line (what it hashes may hold health information).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from messages.domain.attachments import Attachment
from messages.domain.model import Message, Node, Thread

CANONICAL_VERSION = 1

#: A fingerprint as printed and as typed back: 64 hexadecimal digits.
DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")

#: Compared when the reference has no fingerprint, so that an unknown reference costs the
#: same as a wrong fingerprint.
_NO_DIGEST = "0" * 64


def _node(node: Node) -> dict[str, str]:
    return {"code": node.code, "label": node.label}


def submitted_at_utc(moment: datetime) -> str:
    """``2026-02-02T09:30:00.123456Z``: always the microseconds, always UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_form(thread: Thread, message: Message, files: Sequence[Attachment] = ()) -> bytes:
    """The bytes the fingerprint of ``message`` (the member's, in ``thread``, sent with
    ``files``) is computed on."""
    return canonical_bytes(
        fund=thread.fund,
        reference=thread.reference,
        message_id=message.id,
        follow_up=message.follow_up,
        submitted_at=message.created_at,
        theme=thread.theme,
        subject=thread.subject,
        motif=thread.motif,
        text=message.body,
        attachments=[(file.name, file.size) for file in files],
    )


def canonical_bytes(
    *,
    fund: str,
    reference: str,
    message_id: uuid.UUID,
    follow_up: bool,
    submitted_at: datetime,
    theme: Node,
    subject: Node,
    motif: Node,
    text: str,
    attachments: Sequence[tuple[str, int]] = (),
) -> bytes:
    """The canonical form from its parts (what ``canonical_form`` and migration 0005 use)."""
    document: dict[str, Any] = {
        "version": CANONICAL_VERSION,
        "fund": fund,
        "reference": reference,
        "message_id": str(message_id),
        "follow_up": follow_up,
        "submitted_at": submitted_at_utc(submitted_at),
        "theme": _node(theme),
        "subject": _node(subject),
        "motif": _node(motif),
        "text": unicodedata.normalize("NFC", text),
        "attachments": [
            {"name": unicodedata.normalize("NFC", name), "size": size} for name, size in attachments
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def deposit_digest(thread: Thread, message: Message, files: Sequence[Attachment] = ()) -> str:
    """The SHA-256 of the canonical form, in lower-case hexadecimal."""
    return hashlib.sha256(canonical_form(thread, message, files)).hexdigest()


def normalised_digest(value: str) -> str | None:
    """A fingerprint as typed (case and surrounding spaces ignored), or None if it is not one."""
    digest = value.strip().lower()
    return digest if DIGEST_PATTERN.fullmatch(digest) else None


def digest_matches(given: str, stored: Iterable[str]) -> bool:
    """Whether ``given`` is one of the ``stored`` fingerprints (of one reference's messages).

    Every candidate is compared in constant time, and at least one comparison is made, so
    the time taken does not tell whether the reference exists."""
    candidates = list(stored)
    if not candidates:
        hmac.compare_digest(given.encode(), _NO_DIGEST.encode())
        return False
    found = False
    for candidate in candidates:
        found |= hmac.compare_digest(given.encode(), candidate.encode())
    return found
