"""Opaque keyset cursors: the sort key of a page's last row, as base64url JSON.

A cursor comes back from the outside, so decoding it checks everything a query will rely
on: the number and kind of its parts, dates that are timezone-aware and convertible to UTC
(``0001-01-01T00:00:00+14:00`` is not: PostgreSQL and Python overflow on it), whole numbers
in PostgreSQL's ``bigint`` range. Anything else is ``InvalidCursor``, which each service
answers as its ``400 invalid-cursor`` problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

#: The dates a sort key may hold: what the services store, with room on both sides.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: The longest cursor read: a few keys, never a document.
MAX_LENGTH = 512


class InvalidCursor(ValueError):
    """The cursor was not made by this service, or was altered."""


def encode(*values: Any) -> str:
    raw = json.dumps([_plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def decode(cursor: str, *kinds: type) -> tuple[Any, ...]:
    """The cursor's values, one of each of ``kinds`` (``datetime``, ``date``, ``uuid.UUID``,
    ``int``, ``str``), in order; ``InvalidCursor`` if it is anything else."""
    if len(cursor) > MAX_LENGTH or not cursor.isascii():
        raise InvalidCursor(cursor[:40])
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor(cursor[:40]) from None
    if not isinstance(parts, list) or len(parts) != len(kinds):
        raise InvalidCursor(cursor[:40])
    try:
        return tuple(_value(part, kind) for part, kind in zip(parts, kinds, strict=True))
    except (TypeError, ValueError, OverflowError, AttributeError):
        raise InvalidCursor(cursor[:40]) from None


def _value(part: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(part)
        if moment.tzinfo is None or not EARLIEST <= moment.astimezone(UTC) <= LATEST:
            raise ValueError(part)
        return moment
    if kind is date:
        day = date.fromisoformat(part)
        if not EARLIEST.date() <= day <= LATEST.date():
            raise ValueError(part)
        return day
    if kind is uuid.UUID:
        return uuid.UUID(part)
    if kind is int:
        if not isinstance(part, int) or isinstance(part, bool) or not -(2**63) <= part < 2**63:
            raise ValueError(part)
        return part
    if kind is str:
        if not isinstance(part, str):
            raise ValueError(part)
        return part
    raise TypeError(f"a cursor cannot hold a {kind.__name__}")
