"""What time it is, one way for every service and worker.

Code that needs the time takes a ``Clock``; the service passes ``SystemClock()``, tests pass
a clock they move (``servicekit.testing.MovableClock``). Storage and events are in UTC;
screens and emails speak Europe/Paris, through ``date_fr``, ``time_fr`` and ``datetime_fr``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def paris_date(moment: datetime) -> date:
    """The calendar day in Europe/Paris of an aware ``moment``."""
    return moment.astimezone(PARIS).date()


def date_fr(value: date | datetime) -> str:
    """``mercredi 10 décembre 2026``; a date and time is shown as the day in Paris."""
    if isinstance(value, datetime):
        value = paris_date(value)
    day = "1er" if value.day == 1 else str(value.day)
    return f"{_DAYS[value.weekday()]} {day} {_MONTHS[value.month - 1]} {value.year}"


def time_fr(value: datetime) -> str:
    """``14 h 05``, in Paris."""
    local = value.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}"


def datetime_fr(value: datetime) -> str:
    """``mercredi 10 décembre 2026 à 14 h 05``, in Paris."""
    return f"{date_fr(value)} à {time_fr(value)}"
