"""Opaque keyset cursors: the sort key of the last row of a page, base64url JSON."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime
from typing import Any

from messages.domain.errors import InvalidCursor

_INVALID = "Ce lien de page n'est plus valide : revenez à la première page de la liste."


def encode(*values: Any) -> str:
    raw = json.dumps([_plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _parts(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor("invalid-cursor", _INVALID) from None
    if not isinstance(parts, list) or len(parts) != size:
        raise InvalidCursor("invalid-cursor", _INVALID)
    return parts


def decode_activity(cursor: str) -> tuple[datetime, uuid.UUID]:
    moment, identifier = _parts(cursor, 2)
    try:
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError(moment)
        return parsed, uuid.UUID(identifier)
    except (TypeError, ValueError, AttributeError):
        raise InvalidCursor("invalid-cursor", _INVALID) from None


def decode_due(cursor: str) -> tuple[date, uuid.UUID]:
    day, identifier = _parts(cursor, 2)
    try:
        return date.fromisoformat(day), uuid.UUID(identifier)
    except (TypeError, ValueError, AttributeError):
        raise InvalidCursor("invalid-cursor", _INVALID) from None


def decode_access(cursor: str) -> tuple[datetime, int]:
    moment, identifier = _parts(cursor, 2)
    try:
        parsed = datetime.fromisoformat(moment)
        if (
            parsed.tzinfo is None
            or not isinstance(identifier, int)
            or isinstance(identifier, bool)
            or not 0 < identifier < 2**63
        ):
            raise ValueError(moment)
        return parsed, identifier
    except (TypeError, ValueError, AttributeError):
        raise InvalidCursor("invalid-cursor", _INVALID) from None
