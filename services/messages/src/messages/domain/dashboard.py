"""The supervisors' dashboard: what one thread's events say, and the week's figures.

The projection keeps, per thread, what its events said (``ThreadFacts``: when it was sent,
its due date, its first answer) and, per event, its closings and reopenings (``Closing``),
the « relances » and the satisfaction answers. Figures are computed from counts grouped by ISO
week and theme (``AnswerCount``...), never from the threads' own tables.

Definitions, in working days of metropolitan France (``domain.calendar``) and Europe/Paris
dates:
- time to first answer: working days after the day the thread was sent up to the day of its
  first answer (an answer the same day is 0, the next working day 1);
- answered before the due date: the first answer's day is on or before the due date;
- median: the middle value (the mean of the two middle ones for an even count); p90: the
  smallest value that at least 90 % of the answers do not exceed (nearest rank);
- backlog: threads sent and, at a moment, neither answered nor closed, by age in working
  days since they were sent (0–2, 3–5, 6–10, more than 10). Closed means that the thread's
  latest closing or reopening before that moment is a closing (by an agent, or by the 30-day
  rule of a « Demande de précisions »): a thread an agent closed without answering leaves the
  backlog, and comes back if it is reopened.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from messages.domain.calendar import is_working_day
from servicekit.clock import paris_date

#: The widest period one answer covers, in days (a little over a year of ISO weeks).
MAX_PERIOD_DAYS = 371
#: The period shown by default: this week and the seven before it.
DEFAULT_WEEKS = 8


@dataclass(frozen=True)
class ThemeRef:
    code: str
    label: str


#: The row of a week that adds up every theme.
ALL_THEMES = ThemeRef("", "Toutes les prestations")


@dataclass(frozen=True)
class AgeBucket:
    label: str
    min_days: int
    max_days: int | None


BACKLOG_BUCKETS: tuple[AgeBucket, ...] = (
    AgeBucket("0 à 2 jours ouvrés", 0, 2),
    AgeBucket("3 à 5 jours ouvrés", 3, 5),
    AgeBucket("6 à 10 jours ouvrés", 6, 10),
    AgeBucket("Plus de 10 jours ouvrés", 11, None),
)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            days += 1
    return days


def age_bucket(age_working_days: int) -> AgeBucket:
    for bucket in BACKLOG_BUCKETS:
        if bucket.max_days is None or age_working_days <= bucket.max_days:
            return bucket
    raise AssertionError("the last bucket has no upper bound")


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-S{week:02d}"


def median(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as ``{value: how many}``."""
    total = sum(histogram.values())
    if total == 0:
        return None
    values = sorted(histogram)
    lower = _nth(values, histogram, (total - 1) // 2)
    upper = _nth(values, histogram, total // 2)
    return (lower + upper) / 2


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The smallest value that at least ``share`` of the values do not exceed (nearest rank)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    return _nth(sorted(histogram), histogram, rank - 1)


def _nth(values: Sequence[int], histogram: Mapping[int, int], index: int) -> int:
    seen = 0
    for value in values:
        seen += histogram[value]
        if index < seen:
            return value
    raise IndexError(index)


# --- One thread, as its events tell it ---------------------------------------------------


@dataclass(frozen=True)
class ThreadFacts:
    """What the events said of one thread, in whatever order they came."""

    thread_id: uuid.UUID
    fund: str
    theme: ThemeRef | None = None
    submitted_at: datetime | None = None
    due_date: date | None = None
    first_reply_at: datetime | None = None

    def submitted(self, theme: ThemeRef, submitted_at: datetime, due: date) -> ThreadFacts:
        return replace(self, theme=theme, submitted_at=submitted_at, due_date=due)

    def replied(self, theme: ThemeRef, posted_at: datetime) -> ThreadFacts:
        first = posted_at if self.first_reply_at is None else min(self.first_reply_at, posted_at)
        return replace(self, theme=self.theme or theme, first_reply_at=first)

    @property
    def first_answer_working_days(self) -> int | None:
        if self.submitted_at is None or self.first_reply_at is None:
            return None
        return working_days_between(paris_date(self.submitted_at), paris_date(self.first_reply_at))

    @property
    def answered_on_time(self) -> bool | None:
        if self.due_date is None or self.first_reply_at is None:
            return None
        return paris_date(self.first_reply_at) <= self.due_date


@dataclass(frozen=True)
class Closing:
    """A thread closed (``closed``: by an agent or the 30-day rule) or reopened at ``at``;
    one per event, so that applying an event twice changes nothing."""

    event_id: uuid.UUID
    thread_id: uuid.UUID
    closed: bool
    at: datetime


def closed_at(closings: Iterable[Closing], moment: datetime) -> bool:
    """Whether the thread of ``closings`` is closed at ``moment``: its latest closing or
    reopening before ``moment`` says so, whatever order the events came in (at the same
    instant, a reopening comes after a closing)."""
    before = [closing for closing in closings if closing.at < moment]
    if not before:
        return False
    return max(before, key=lambda closing: (closing.at, not closing.closed)).closed


# --- Counts as the projection groups them, and the figures made of them -----------------


@dataclass(frozen=True)
class Period:
    """From the Monday of ``first``'s week to the Sunday of ``last``'s (Europe/Paris days)."""

    first: date
    last: date

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        return cls(week_start(start), week_start(end) + timedelta(days=6))

    @classmethod
    def default(cls, today: date) -> Period:
        return cls.of(today - timedelta(weeks=DEFAULT_WEEKS - 1), today)

    def weeks(self) -> list[date]:
        return [
            self.first + timedelta(weeks=index)
            for index in range((self.last - self.first).days // 7 + 1)
        ]


@dataclass(frozen=True)
class WeekCount:
    """Threads sent, « relances » or satisfaction answers of one theme in one week."""

    week: date
    theme: ThemeRef
    count: int
    #: For satisfaction: how many said « Oui ».
    yes: int = 0


@dataclass(frozen=True)
class AnswerCount:
    """Threads first answered in one week and theme after ``working_days``."""

    week: date
    theme: ThemeRef
    working_days: int
    on_time: bool
    count: int


@dataclass(frozen=True)
class WaitingCount:
    """Threads of one theme sent on ``sent_on`` still waiting for a first answer."""

    theme: ThemeRef
    sent_on: date
    count: int


@dataclass
class Figures:
    received: int = 0
    answered: int = 0
    answered_on_time: int = 0
    relances: int = 0
    satisfaction_answers: int = 0
    satisfaction_yes: int = 0
    histogram: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def median_working_days(self) -> float | None:
        return median(self.histogram)

    @property
    def p90_working_days(self) -> int | None:
        return percentile(self.histogram, 0.9)

    @property
    def answered_on_time_share(self) -> float | None:
        return _share(self.answered_on_time, self.answered)

    @property
    def satisfaction_yes_share(self) -> float | None:
        return _share(self.satisfaction_yes, self.satisfaction_answers)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class ThemeFigures:
    theme: ThemeRef
    figures: Figures


@dataclass(frozen=True)
class WeekFigures:
    starts_on: date
    figures: Figures
    themes: tuple[ThemeFigures, ...]

    @property
    def week(self) -> str:
        return week_label(self.starts_on)


@dataclass(frozen=True)
class BucketCount:
    bucket: AgeBucket
    count: int


@dataclass(frozen=True)
class ThemeBacklog:
    theme: ThemeRef
    buckets: tuple[BucketCount, ...]

    @property
    def total(self) -> int:
        return sum(count.count for count in self.buckets)


@dataclass(frozen=True)
class Backlog:
    as_of: date
    buckets: tuple[BucketCount, ...]
    themes: tuple[ThemeBacklog, ...]

    @property
    def total(self) -> int:
        return sum(count.count for count in self.buckets)


@dataclass(frozen=True)
class Summary:
    weeks: tuple[WeekFigures, ...]
    total: Figures
    themes: tuple[ThemeRef, ...]
    backlog: Backlog
    #: The whole period's figures of each theme that has some, by label.
    theme_totals: tuple[ThemeFigures, ...] = ()


def summarise(
    period: Period,
    *,
    received: Iterable[WeekCount],
    answers: Iterable[AnswerCount],
    relances: Iterable[WeekCount],
    satisfaction: Iterable[WeekCount],
    waiting: Iterable[WaitingCount],
    backlog_as_of: date,
) -> Summary:
    """The figures of each week of ``period``, by theme and for all themes, and the backlog."""
    weeks = period.weeks()
    by_week: dict[date, dict[str, Figures]] = {week: defaultdict(Figures) for week in weeks}
    by_theme: dict[str, Figures] = defaultdict(Figures)
    themes: dict[str, ThemeRef] = {}
    total = Figures()

    def cells(week: date, theme: ThemeRef) -> tuple[Figures, ...]:
        if week not in by_week:
            return ()
        themes.setdefault(theme.code, theme)
        return (
            by_week[week][theme.code],
            by_week[week][ALL_THEMES.code],
            by_theme[theme.code],
            total,
        )

    for row in received:
        for figures in cells(row.week, row.theme):
            figures.received += row.count
    for answer in answers:
        for figures in cells(answer.week, answer.theme):
            figures.answered += answer.count
            figures.answered_on_time += answer.count if answer.on_time else 0
            figures.histogram[answer.working_days] += answer.count
    for row in relances:
        for figures in cells(row.week, row.theme):
            figures.relances += row.count
    for row in satisfaction:
        for figures in cells(row.week, row.theme):
            figures.satisfaction_answers += row.count
            figures.satisfaction_yes += row.yes

    ordered = sorted(themes.values(), key=lambda theme: theme.label)
    week_figures = tuple(
        WeekFigures(
            starts_on=week,
            figures=by_week[week][ALL_THEMES.code],
            themes=tuple(
                ThemeFigures(theme, by_week[week][theme.code])
                for theme in ordered
                if theme.code in by_week[week]
            ),
        )
        for week in weeks
    )
    return Summary(
        weeks=week_figures,
        total=total,
        themes=tuple(ordered),
        backlog=backlog(waiting, as_of=backlog_as_of),
        theme_totals=tuple(ThemeFigures(theme, by_theme[theme.code]) for theme in ordered),
    )


def backlog(waiting: Iterable[WaitingCount], *, as_of: date) -> Backlog:
    """Threads still waiting at ``as_of``, by age in working days, for all themes and each."""
    overall: dict[AgeBucket, int] = dict.fromkeys(BACKLOG_BUCKETS, 0)
    per_theme: dict[str, tuple[ThemeRef, dict[AgeBucket, int]]] = {}
    for row in waiting:
        bucket = age_bucket(working_days_between(row.sent_on, as_of))
        overall[bucket] += row.count
        _, counts = per_theme.setdefault(
            row.theme.code, (row.theme, dict.fromkeys(BACKLOG_BUCKETS, 0))
        )
        counts[bucket] += row.count
    return Backlog(
        as_of=as_of,
        buckets=tuple(BucketCount(bucket, count) for bucket, count in overall.items()),
        themes=tuple(
            ThemeBacklog(theme, tuple(BucketCount(b, c) for b, c in counts.items()))
            for theme, counts in sorted(per_theme.values(), key=lambda item: item[0].label)
        ),
    )
