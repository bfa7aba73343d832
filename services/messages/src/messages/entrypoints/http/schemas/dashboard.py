"""The supervisors' dashboard as the API answers it (``GET /agent/dashboard``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from messages.domain.dashboard import (
    Backlog,
    BucketCount,
    Figures,
    ThemeBacklog,
    ThemeFigures,
    ThemeRef,
    WeekFigures,
)
from messages.domain.dashboard_commands import Dashboard, FundRef, Lag
from messages.entrypoints.http.schemas.common import Public


class DashboardTheme(Public):
    code: str = Field(examples=["famille"], description="Empty for all themes added up.")
    label: str = Field(examples=["Famille, Allocations familiales, aides au logement"])

    @classmethod
    def domain_fields(cls, value: ThemeRef) -> dict[str, Any]:
        return {"code": value.code, "label": value.label}


class DashboardFund(Public):
    code: str = Field(examples=["NPC"])
    label: str = Field(examples=["MSA Nord-Pas de Calais"])

    @classmethod
    def domain_fields(cls, value: FundRef) -> dict[str, Any]:
        return {"code": value.code, "label": value.label}


class DashboardFigures(Public):
    """One week's (or the period's) figures. Times are in working days (metropolitan France,
    Europe/Paris); shares are between 0 and 1, null when there is nothing to divide."""

    received: int = Field(description="New threads sent (follow-ups not counted).")
    answered: int = Field(description="Threads that got their first answer.")
    median_working_days: float | None = Field(
        description="Median time to the first answer, in working days."
    )
    p90_working_days: int | None = Field(
        description="90th percentile of the time to the first answer (nearest rank)."
    )
    answered_on_time_share: float | None = Field(
        description="Share of first answers given on or before the thread's due date."
    )
    relances: int = Field(description="« Je n'ai pas compris la réponse » pressed.")
    satisfaction_answers: int = Field(
        description="Answers to « Cette réponse vous a-t-elle aidé ? » (the latest per reply)."
    )
    satisfaction_yes_share: float | None = Field(description="Share of « Oui».")

    @classmethod
    def domain_fields(cls, value: Figures) -> dict[str, Any]:
        return {
            "received": value.received,
            "answered": value.answered,
            "median_working_days": value.median_working_days,
            "p90_working_days": value.p90_working_days,
            "answered_on_time_share": value.answered_on_time_share,
            "relances": value.relances,
            "satisfaction_answers": value.satisfaction_answers,
            "satisfaction_yes_share": value.satisfaction_yes_share,
        }


class DashboardThemeFigures(Public):
    theme: DashboardTheme
    figures: DashboardFigures

    @classmethod
    def domain_fields(cls, value: ThemeFigures) -> dict[str, Any]:
        return {"theme": value.theme, "figures": value.figures}


class DashboardWeek(Public):
    week: str = Field(description="ISO week, ``YYYY-Sww``.", examples=["2026-S49"])
    starts_on: date = Field(description="Its Monday.")
    figures: DashboardFigures = Field(description="Every theme added up.")
    themes: list[DashboardThemeFigures]

    @classmethod
    def domain_fields(cls, value: WeekFigures) -> dict[str, Any]:
        return {
            "week": value.week,
            "starts_on": value.starts_on,
            "figures": value.figures,
            "themes": list(value.themes),
        }


class DashboardBucket(Public):
    label: str = Field(examples=["3 à 5 jours ouvrés"])
    min_days: int
    max_days: int | None
    count: int

    @classmethod
    def domain_fields(cls, value: BucketCount) -> dict[str, Any]:
        return {
            "label": value.bucket.label,
            "min_days": value.bucket.min_days,
            "max_days": value.bucket.max_days,
            "count": value.count,
        }


class DashboardThemeBacklog(Public):
    theme: DashboardTheme
    total: int
    buckets: list[DashboardBucket]

    @classmethod
    def domain_fields(cls, value: ThemeBacklog) -> dict[str, Any]:
        return {"theme": value.theme, "total": value.total, "buckets": list(value.buckets)}


class DashboardBacklog(Public):
    """Threads sent and neither answered nor closed at the end of the period (or now), by
    age in working days."""

    as_of: date
    total: int
    buckets: list[DashboardBucket]
    themes: list[DashboardThemeBacklog]

    @classmethod
    def domain_fields(cls, value: Backlog) -> dict[str, Any]:
        return {
            "as_of": value.as_of,
            "total": value.total,
            "buckets": list(value.buckets),
            "themes": list(value.themes),
        }


class DashboardLag(Public):
    """How far the projection is behind the topics it is built from."""

    behind_by_events: int | None = Field(
        description="Events of its topics not applied yet; null when Kafka cannot be asked."
    )
    last_event_at: datetime | None = Field(description="When the latest event applied happened.")
    rebuilt_at: datetime | None = Field(description="When the projection was last rebuilt.")

    @classmethod
    def domain_fields(cls, value: Lag) -> dict[str, Any]:
        return {
            "behind_by_events": value.behind_by_events,
            "last_event_at": value.last_event_at,
            "rebuilt_at": value.rebuilt_at,
        }


class DashboardPublic(Public):
    """The figures of one fund (or every fund) per ISO week, by theme."""

    fund: DashboardFund | None = Field(description="The fund shown; null for every fund.")
    scope_label: str = Field(examples=["MSA Nord-Pas de Calais", "Toutes les caisses (national)"])
    start: date = Field(description="Monday of the first week.")
    end: date = Field(description="Sunday of the last week.")
    theme: DashboardTheme | None = Field(description="The theme filter, if any.")
    themes: list[DashboardTheme] = Field(description="Themes with figures in the period.")
    funds: list[DashboardFund] = Field(description="The funds the caller may choose.")
    weeks: list[DashboardWeek]
    total: DashboardFigures = Field(description="The whole period.")
    backlog: DashboardBacklog
    lag: DashboardLag

    @classmethod
    def domain_fields(cls, value: Dashboard) -> dict[str, Any]:
        return {
            "fund": value.scope,
            "scope_label": value.scope_label,
            "start": value.period.first,
            "end": value.period.last,
            "theme": value.theme,
            "themes": list(value.summary.themes),
            "funds": list(value.funds),
            "weeks": list(value.summary.weeks),
            "total": value.summary.total,
            "backlog": value.summary.backlog,
            "lag": value.lag,
        }
