"""A cursor from the outside is checked before any query relies on it."""

from __future__ import annotations

import base64
import contextlib
import json
import uuid
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.cursors import InvalidCursor, decode, encode

pytestmark = pytest.mark.unit


def forged(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).rstrip(b"=").decode()


def test_what_is_encoded_decodes_to_the_same_values() -> None:
    moment, identifier = datetime(2026, 12, 3, 9, 15, tzinfo=UTC), uuid.uuid4()
    assert decode(encode(moment, identifier), datetime, uuid.UUID) == (moment, identifier)
    assert decode(encode(date(2026, 12, 17), 42), date, int) == (date(2026, 12, 17), 42)


@pytest.mark.parametrize(
    "cursor",
    [
        forged("0001-01-01T00:00:00+14:00", str(uuid.uuid4())),
        forged("9999-12-31T23:59:59-14:00", str(uuid.uuid4())),
        forged("2026-12-03T09:15:00", str(uuid.uuid4())),  # no timezone
        forged("2026-12-03T09:15:00+00:00"),  # a part missing
        forged("2026-12-03T09:15:00+00:00", "not a uuid"),
        forged(12, str(uuid.uuid4())),
        "not base64 at all!",
        "",
        "é" * 10,
        "A" * 600,
    ],
)
def test_a_forged_or_altered_cursor_is_invalid_never_an_overflow(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode(cursor, datetime, uuid.UUID)


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, True, 1.5, "3"])
def test_numbers_stay_in_bigint_range_and_whole(number: object) -> None:
    with pytest.raises(InvalidCursor):
        decode(forged("2026-12-03T09:15:00+00:00", number), datetime, int)


@given(st.text(max_size=200))
def test_any_text_decodes_or_is_invalid_nothing_else(text: str) -> None:
    with contextlib.suppress(InvalidCursor):
        decode(text, datetime, uuid.UUID)
