"""The messages service's cursors: ``servicekit.cursors`` (checked base64url JSON), each
decoding answered as the ``invalid-cursor`` problem when it fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from messages.domain.errors import InvalidCursor
from servicekit import cursors
from servicekit.cursors import encode

__all__ = ["decode_access", "decode_activity", "decode_due", "encode"]

_INVALID = "Ce lien de page n'est plus valide : revenez à la première page de la liste."


@contextmanager
def _checked() -> Iterator[None]:
    try:
        yield
    except cursors.InvalidCursor:
        raise InvalidCursor("invalid-cursor", _INVALID) from None


def decode_activity(cursor: str) -> tuple[datetime, uuid.UUID]:
    with _checked():
        moment, identifier = cursors.decode(cursor, datetime, uuid.UUID)
    return moment, identifier


def decode_due(cursor: str) -> tuple[date, uuid.UUID]:
    with _checked():
        day, identifier = cursors.decode(cursor, date, uuid.UUID)
    return day, identifier


def decode_access(cursor: str) -> tuple[datetime, int]:
    with _checked():
        moment, identifier = cursors.decode(cursor, datetime, int)
    if identifier <= 0:
        raise InvalidCursor("invalid-cursor", _INVALID)
    return moment, identifier
