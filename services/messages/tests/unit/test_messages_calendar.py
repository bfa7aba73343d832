"""Due dates in working days: weekends and French public holidays are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from messages.domain.calendar import add_working_days, due_date, easter_sunday, public_holidays

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_the_eleven_public_holidays_of_2026() -> None:
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1),
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),  # Ascension
        date(2026, 5, 25),  # Whit Monday
        date(2026, 7, 14),
        date(2026, 8, 15),
        date(2026, 11, 1),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]


def test_weekends_are_skipped() -> None:
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert add_working_days(friday, 5) == date(2026, 12, 4)
    saturday = date(2026, 11, 28)
    assert add_working_days(saturday, 1) == date(2026, 11, 30)


def test_holidays_are_skipped() -> None:
    # Thursday 24 December 2026: Friday 25 is Christmas, then the weekend.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    # Around May 2026: 1 May (Fri), 8 May (Fri), Ascension 14 May (Thu).
    assert add_working_days(date(2026, 4, 30), 5) == date(2026, 5, 11)
    assert add_working_days(date(2026, 5, 13), 1) == date(2026, 5, 15)


def test_the_day_of_sending_is_the_day_in_paris() -> None:
    # 23:30 UTC on Friday 27 November is already Saturday 28 in Paris.
    late_friday_utc = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert due_date(late_friday_utc, 1) == date(2026, 11, 30)
    assert due_date(datetime(2026, 11, 27, 10, 0, tzinfo=UTC), 1) == date(2026, 11, 30)
    # Summer time: 22:30 UTC on 30 June is 00:30 on 1 July in Paris.
    assert due_date(datetime(2026, 6, 30, 22, 30, tzinfo=UTC), 1) == date(2026, 7, 2)


def test_zero_days_is_the_same_day() -> None:
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)
