"""The dashboard's query, what it answers, and who may see which fund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contracts import all_funds
from messages.domain.dashboard import MAX_PERIOD_DAYS, Period, Summary, ThemeRef
from messages.domain.errors import MessagesError
from servicekit.bus import Command

#: The scope of an admin who names no fund: every fund added up.
NATIONAL_LABEL = "Toutes les caisses (national)"


class DashboardFundRefused(MessagesError):
    """A supervisor asked for another fund's figures."""


class InvalidDashboardPeriod(MessagesError):
    """The period asked is reversed or too long."""


@dataclass(frozen=True)
class Viewer:
    """A supervisor (their fund only) or an admin (every fund, and the national total)."""

    fund: str
    admin: bool


@dataclass(frozen=True)
class FundRef:
    code: str
    label: str


@dataclass(frozen=True)
class Lag:
    """How far the projection is behind the topics it is built from."""

    behind_by_events: int | None
    last_event_at: datetime | None
    rebuilt_at: datetime | None


@dataclass(frozen=True)
class Dashboard:
    scope: FundRef | None
    period: Period
    theme: ThemeRef | None
    funds: tuple[FundRef, ...]
    summary: Summary
    lag: Lag

    @property
    def scope_label(self) -> str:
        return self.scope.label if self.scope is not None else NATIONAL_LABEL


@dataclass(frozen=True)
class ShowDashboard(Command[Dashboard]):
    """The figures of ``fund`` (None: the viewer's own fund for a supervisor, every fund for
    an admin) per ISO week from ``start``'s week to ``end``'s, for one theme or all."""

    viewer: Viewer
    fund: str | None = None
    start: date | None = None
    end: date | None = None
    theme: str | None = None


def fund_ref(code: str) -> FundRef:
    fund = all_funds().get(code)
    return FundRef(code, fund.name if fund is not None else code)


def scope_for(viewer: Viewer, fund: str | None) -> FundRef | None:
    """The fund whose figures ``viewer`` sees (None: every fund), or why not."""
    if fund is None:
        return None if viewer.admin else fund_ref(viewer.fund)
    if fund not in all_funds():
        raise DashboardFundRefused(
            "unknown-fund", "Cette caisse n'existe pas : choisissez-en une dans la liste."
        )
    if not viewer.admin and fund != viewer.fund:
        raise DashboardFundRefused(
            "other-fund", "Votre profil permet de consulter le tableau de bord de votre caisse."
        )
    return fund_ref(fund)


def funds_for(viewer: Viewer) -> tuple[FundRef, ...]:
    """The funds ``viewer`` may choose among."""
    if viewer.admin:
        return tuple(FundRef(code, fund.name) for code, fund in all_funds().items())
    return (fund_ref(viewer.fund),)


def period_for(start: date | None, end: date | None, today: date) -> Period:
    """Whole ISO weeks from ``start``'s to ``end``'s (by default the last eight weeks)."""
    if start is None and end is None:
        return Period.default(today)
    end = end or today
    start = start or Period.default(end).first
    if start > end:
        raise InvalidDashboardPeriod(
            "invalid-period", "La date de début doit précéder la date de fin."
        )
    period = Period.of(start, end)
    if (period.last - period.first).days > MAX_PERIOD_DAYS:
        raise InvalidDashboardPeriod(
            "invalid-period", "Choisissez une période d'au plus 53 semaines."
        )
    return period


@dataclass(frozen=True)
class RebuildReport:
    generation: int
    events: int
    unreadable: int
    rebuilt_at: datetime


@dataclass(frozen=True)
class RebuildDashboard(Command[RebuildReport]):
    """Replay the dashboard's topics from their beginning into fresh tables, then make them
    live; ``batch_size`` events per transaction."""

    batch_size: int = 500
