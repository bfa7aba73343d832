"""The dashboard's figures: working days, median and p90, backlog by age, and the week's
figures from a known set of events (what the supervisor reads)."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from contracts.events.messages import (
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from messages.domain.dashboard import (
    BACKLOG_BUCKETS,
    AnswerCount,
    Closing,
    Period,
    ThemeRef,
    ThreadFacts,
    WaitingCount,
    WeekCount,
    age_bucket,
    closed_at,
    median,
    percentile,
    summarise,
    week_label,
    week_start,
    working_days_between,
)
from messages.domain.dashboard_commands import (
    DashboardFundRefused,
    InvalidDashboardPeriod,
    Viewer,
    period_for,
    scope_for,
)
from servicekit.clock import PARIS, paris_date
from services.messages.tests.support_dashboard import (
    EXPECTED_BACKLOG,
    EXPECTED_BACKLOG_FIRST_WEEK,
    EXPECTED_TOTAL,
    EXPECTED_WEEKS,
    FIRST_DAY,
    LAST_DAY,
    KnownEvents,
)


def test_working_days_skip_weekends_and_public_holidays() -> None:
    assert working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert working_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1  # Friday → Monday
    assert working_days_between(date(2025, 3, 8), date(2025, 3, 10)) == 1  # Saturday → Monday
    # Easter Monday 21 April 2025 and 1 May are not working days.
    assert working_days_between(date(2025, 4, 18), date(2025, 4, 22)) == 1
    assert working_days_between(date(2025, 4, 30), date(2025, 5, 2)) == 1


def test_median_and_p90_of_working_days() -> None:
    assert median({}) is None
    assert percentile({}, 0.9) is None
    assert median({1: 1, 2: 1, 5: 1}) == 2
    assert median({1: 1, 5: 1}) == 3.0
    assert percentile({1: 1, 5: 1}, 0.9) == 5
    # Ten answers: 0 (×5), 1 (×3), 4, 12: p90 is the 9th smallest, the median between 5th and 6th.
    histogram = {0: 5, 1: 3, 4: 1, 12: 1}
    assert median(histogram) == 0.5
    assert percentile(histogram, 0.9) == 4
    assert percentile({3: 100}, 0.9) == 3


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (0, "0 à 2 jours ouvrés"),
        (2, "0 à 2 jours ouvrés"),
        (3, "3 à 5 jours ouvrés"),
        (5, "3 à 5 jours ouvrés"),
        (6, "6 à 10 jours ouvrés"),
        (10, "6 à 10 jours ouvrés"),
        (11, "Plus de 10 jours ouvrés"),
        (250, "Plus de 10 jours ouvrés"),
    ],
)
def test_backlog_buckets(age: int, label: str) -> None:
    assert age_bucket(age).label == label


def test_weeks_are_iso_weeks_from_monday() -> None:
    assert week_start(date(2025, 3, 9)) == date(2025, 3, 3)
    assert week_label(date(2025, 3, 3)) == "2025-S10"
    assert week_label(date(2024, 12, 30)) == "2025-S01"
    period = Period.of(date(2025, 3, 5), date(2025, 3, 12))
    assert (period.first, period.last) == (FIRST_DAY, LAST_DAY)
    assert period.weeks() == [date(2025, 3, 3), date(2025, 3, 10)]


def test_a_thread_facts_do_not_depend_on_the_order_of_its_events() -> None:
    thread = uuid.uuid4()
    theme = ThemeRef("famille", "Famille")
    sent = datetime.fromisoformat("2025-03-03T09:00:00+00:00")
    first = datetime.fromisoformat("2025-03-05T15:00:00+00:00")
    later = datetime.fromisoformat("2025-03-12T15:00:00+00:00")
    in_order = (
        ThreadFacts(thread, "NPC")
        .submitted(theme, sent, date(2025, 3, 4))
        .replied(theme, first)
        .replied(theme, later)
    )
    reversed_ = (
        ThreadFacts(thread, "NPC")
        .replied(theme, later)
        .replied(theme, first)
        .submitted(theme, sent, date(2025, 3, 4))
    )
    assert in_order == reversed_
    assert in_order.first_answer_working_days == 2
    assert in_order.answered_on_time is False  # due on the 4th, answered on the 5th
    assert in_order.replied(theme, first) == in_order  # applied twice: the same


def _figures_of(known: KnownEvents, fund: str, period: Period, as_of: date) -> dict[str, object]:
    """Fold the events as the projection does, group them as its queries do, summarise."""
    facts: dict[uuid.UUID, ThreadFacts] = {}
    closings: dict[uuid.UUID, set[Closing]] = defaultdict(set)
    relances: dict[tuple[date, ThemeRef], int] = defaultdict(int)
    satisfaction: dict[uuid.UUID, SatisfactionGiven] = {}
    for event in known.events:
        if getattr(event, "fund", None) != fund:
            continue
        match event:
            case MessageSubmitted(follow_up=False):
                current = facts.get(event.thread_id, ThreadFacts(event.thread_id, fund))
                facts[event.thread_id] = current.submitted(
                    ThemeRef(event.theme.code, event.theme.label),
                    event.submitted_at,
                    event.due_date,
                )
            case ReplyPosted():
                current = facts.get(event.thread_id, ThreadFacts(event.thread_id, fund))
                facts[event.thread_id] = current.replied(
                    ThemeRef(event.theme.code, event.theme.label), event.posted_at
                )
            case ThreadClosed() | ThreadClosedUnanswered():
                closings[event.thread_id].add(
                    Closing(event.event_id, event.thread_id, True, event.closed_at)
                )
            case ThreadReopened():
                closings[event.thread_id].add(
                    Closing(event.event_id, event.thread_id, False, event.reopened_at)
                )
            case ReplyNotUnderstood():
                key = (
                    week_start(paris_date(event.occurred_at)),
                    ThemeRef(event.theme.code, event.theme.label),
                )
                relances[key] += 1
            case SatisfactionGiven():
                known_answer = satisfaction.get(event.reply_id)
                if known_answer is None or known_answer.answered_at <= event.answered_at:
                    satisfaction[event.reply_id] = event
    received: dict[tuple[date, ThemeRef], int] = defaultdict(int)
    answers: dict[tuple[date, ThemeRef, int, bool], int] = defaultdict(int)
    waiting: dict[tuple[ThemeRef, date], int] = defaultdict(int)
    end_of_day = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=PARIS)
    for thread in facts.values():
        assert thread.theme is not None
        assert thread.submitted_at is not None
        received[(week_start(paris_date(thread.submitted_at)), thread.theme)] += 1
        if thread.first_reply_at is not None:
            days = thread.first_answer_working_days
            on_time = thread.answered_on_time
            assert days is not None
            assert on_time is not None
            answers[
                (week_start(paris_date(thread.first_reply_at)), thread.theme, days, on_time)
            ] += 1
        answered = thread.first_reply_at is not None and thread.first_reply_at < end_of_day
        closed = closed_at(closings[thread.thread_id], end_of_day)
        if not answered and not closed and paris_date(thread.submitted_at) <= as_of:
            waiting[(thread.theme, paris_date(thread.submitted_at))] += 1
    satisfied: dict[tuple[date, ThemeRef], list[int]] = defaultdict(lambda: [0, 0])
    for answer in satisfaction.values():
        key = (
            week_start(paris_date(answer.answered_at)),
            ThemeRef(answer.theme.code, answer.theme.label),
        )
        satisfied[key][0] += 1
        satisfied[key][1] += int(answer.helpful)
    summary = summarise(
        period,
        received=[WeekCount(week, theme, count) for (week, theme), count in received.items()],
        answers=[AnswerCount(*key, count) for key, count in answers.items()],
        relances=[WeekCount(week, theme, count) for (week, theme), count in relances.items()],
        satisfaction=[WeekCount(w, t, n, yes) for (w, t), (n, yes) in satisfied.items()],
        waiting=[WaitingCount(theme, day, count) for (theme, day), count in waiting.items()],
        backlog_as_of=as_of,
    )
    fields = [
        field.name for field in dataclasses.fields(summary.total) if field.name != "histogram"
    ]

    def plain(figures: object) -> dict[str, object]:
        values = {
            name: getattr(figures, name)
            for name in fields
            if name not in ("answered_on_time", "satisfaction_yes")
        }
        for name in (
            "median_working_days",
            "p90_working_days",
            "answered_on_time_share",
            "satisfaction_yes_share",
        ):
            values[name] = getattr(figures, name)
        return values

    return {
        "weeks": {week.week: plain(week.figures) for week in summary.weeks},
        "total": plain(summary.total),
        "backlog": [count.count for count in summary.backlog.buckets],
        "themes": [theme.code for theme in summary.themes],
        "famille_s10": plain(
            next(row.figures for row in summary.weeks[0].themes if row.theme.code == "famille")
        ),
    }


def test_the_figures_of_a_known_set_of_events() -> None:
    known = KnownEvents()
    figures = _figures_of(known, "NPC", Period(FIRST_DAY, LAST_DAY), LAST_DAY)
    assert figures["weeks"] == EXPECTED_WEEKS
    assert figures["total"] == EXPECTED_TOTAL
    assert figures["backlog"] == EXPECTED_BACKLOG
    assert figures["themes"] == ["famille", "sante"]
    # Famille in the week of 3 March: A, C, D, F sent; A answered in 2 working days.
    famille = figures["famille_s10"]
    assert isinstance(famille, dict)
    assert (famille["received"], famille["answered"], famille["median_working_days"]) == (4, 1, 2.0)


def test_the_backlog_leaves_out_threads_closed_then_and_keeps_those_reopened() -> None:
    known = KnownEvents()
    first_week = _figures_of(known, "NPC", Period(FIRST_DAY, date(2025, 3, 9)), date(2025, 3, 9))
    assert first_week["backlog"] == EXPECTED_BACKLOG_FIRST_WEEK
    assert _figures_of(known, "NPC", Period(FIRST_DAY, LAST_DAY), LAST_DAY)["backlog"] == (
        EXPECTED_BACKLOG
    )


def test_closed_at_a_moment_whatever_the_order_of_the_events() -> None:
    thread = uuid.uuid4()

    def at(day: int) -> datetime:
        return datetime(2025, 3, day, 9, tzinfo=PARIS)

    closing = Closing(uuid.uuid4(), thread, True, at(5))
    reopening = Closing(uuid.uuid4(), thread, False, at(12))
    closing_again = Closing(uuid.uuid4(), thread, True, at(14))
    assert closed_at([], at(20)) is False
    assert closed_at([reopening, closing], at(5)) is False  # not yet: strictly before
    assert closed_at([reopening, closing], at(6)) is True
    assert closed_at([reopening, closing], at(13)) is False
    assert closed_at([closing_again, reopening, closing], at(15)) is True
    # At the same instant, the reopening comes after the closing.
    same = Closing(uuid.uuid4(), thread, False, at(5))
    assert closed_at([same, closing], at(6)) is False


def test_backlog_on_an_earlier_day_counts_threads_answered_later() -> None:
    # On Friday 7 March B (answered on the 10th) still waited: sent on the 3rd, 4 working days.
    waiting = [
        WaitingCount(ThemeRef("sante", "Santé"), date(2025, 3, 3), 1),
        WaitingCount(ThemeRef("famille", "Famille"), date(2025, 3, 7), 2),
    ]
    summary = summarise(
        Period(FIRST_DAY, date(2025, 3, 9)),
        received=[],
        answers=[],
        relances=[],
        satisfaction=[],
        waiting=waiting,
        backlog_as_of=date(2025, 3, 7),
    )
    assert [count.count for count in summary.backlog.buckets] == [2, 1, 0, 0]
    assert [(theme.theme.code, theme.total) for theme in summary.backlog.themes] == [
        ("famille", 2),
        ("sante", 1),
    ]
    assert [bucket.max_days for bucket in BACKLOG_BUCKETS] == [2, 5, 10, None]


def test_a_supervisor_sees_their_fund_and_an_admin_every_fund() -> None:
    supervisor = Viewer(fund="NPC", admin=False)
    admin = Viewer(fund="NPC", admin=True)
    assert scope_for(supervisor, None) is not None
    assert scope_for(supervisor, "NPC").code == "NPC"  # type: ignore[union-attr]
    with pytest.raises(DashboardFundRefused):
        scope_for(supervisor, "ADN")
    assert scope_for(admin, None) is None  # every fund added up
    assert scope_for(admin, "ADN").label == "MSA Alpes du Nord"  # type: ignore[union-attr]
    with pytest.raises(DashboardFundRefused):
        scope_for(admin, "XYZ")


def test_the_period_is_whole_weeks_of_at_most_53() -> None:
    today = date(2025, 3, 12)
    assert period_for(None, None, today) == Period(date(2025, 1, 20), LAST_DAY)
    assert period_for(date(2025, 3, 4), None, today) == Period(FIRST_DAY, LAST_DAY)
    with pytest.raises(InvalidDashboardPeriod):
        period_for(date(2025, 3, 12), date(2025, 3, 1), today)
    with pytest.raises(InvalidDashboardPeriod):
        period_for(date(2024, 1, 1), date(2025, 3, 1), today)
    assert period_for(date(2024, 3, 1), date(2025, 2, 28), today).weeks()[-1] == date(2025, 2, 24)
