"""The supervisors' dashboard: figures per ISO week and theme, as JSON or as a CSV file.

Supervisors see their fund; admins every fund, one at a time or added up (no ``fund``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from messages.domain.dashboard import (
    ALL_THEMES,
    BACKLOG_BUCKETS,
    BucketCount,
    Figures,
    week_label,
)
from messages.domain.dashboard_commands import Dashboard, ShowDashboard, Viewer
from messages.entrypoints.http.deps import BusDep, current_supervisor, plain_query
from messages.entrypoints.http.schemas.dashboard import DashboardPublic
from servicekit.problems import problem_responses
from servicekit.security import CurrentSupervisor

router = APIRouter(prefix="/agent", tags=["agent"])


async def dashboard_viewer(principal: CurrentSupervisor) -> Viewer:
    """A supervisor or an admin (others: 403), of a known fund."""
    return Viewer(fund=(await current_supervisor(principal)).fund, admin=principal.role == "admin")


ViewerDep = Annotated[Viewer, Depends(dashboard_viewer)]


async def dashboard_query(
    viewer: ViewerDep,
    start: Annotated[
        date | None,
        Query(alias="from", description="A day of the first week (default: 7 weeks ago)."),
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="A day of the last week (default: today).")
    ] = None,
    theme: Annotated[
        str | None, Query(max_length=100, description="Only this theme (its code).")
    ] = None,
    fund: Annotated[
        str | None,
        Query(
            max_length=10,
            description=(
                "The fund (admins: any; supervisors: their own). Absent: the caller's fund "
                "for a supervisor, every fund added up for an admin."
            ),
        ),
    ] = None,
) -> ShowDashboard:
    return ShowDashboard(
        viewer=viewer,
        fund=plain_query(fund, field="fund") or None,
        start=start,
        end=end,
        theme=plain_query(theme, field="theme") or None,
    )


QueryDep = Annotated[ShowDashboard, Depends(dashboard_query)]


@router.get(
    "/dashboard",
    summary="The dashboard: per ISO week and theme, messages received and answered, time to "
    "first answer, answers on time, backlog by age, « relances », satisfaction",
    response_model=DashboardPublic,
    responses=problem_responses(401, 403, 422),
)
async def show_dashboard(query: QueryDep, bus: BusDep) -> Dashboard:
    return await bus.handle(query)


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every figure of the dashboard as a CSV file for a spreadsheet: UTF-8 "
        "with a BOM, « ; » between columns, decimal commas, French headers. One row per week "
        "and theme, then one per theme for the whole period, the last for every theme; the "
        "period's rows also carry the backlog by age, on the day it is counted.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}

CSV_HEADERS = (
    "Caisse",
    "Semaine",
    "Début de semaine",
    "Prestation",
    "Messages reçus",
    "Réponses",
    "Délai médian de première réponse (jours ouvrés)",
    "Délai 90e centile (jours ouvrés)",
    "Réponses dans les délais (%)",
    "Relances",
    "Avis de satisfaction",
    "Avis « Oui » (%)",
    "En attente au",
    *(f"En attente depuis {bucket.label}" for bucket in BACKLOG_BUCKETS),
    "En attente (total)",
)


@router.get(
    "/dashboard.csv",
    summary="Every figure of the dashboard (weeks, themes, backlog by age) as a CSV file "
    "(same filters as /agent/dashboard)",
    response_class=Response,
    responses=CSV_RESPONSE | problem_responses(401, 403, 422),
)
async def export_dashboard(query: QueryDep, bus: BusDep) -> Response:
    dashboard = await bus.handle(query)
    scope = dashboard.scope.code if dashboard.scope is not None else "national"
    filename = (
        f"tableau-de-bord-{scope}-{week_label(dashboard.period.first)}"
        f"-{week_label(dashboard.period.last)}.csv"
    )
    return Response(
        "\ufeff" + dashboard_csv(dashboard),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def dashboard_csv(dashboard: Dashboard) -> str:
    """The weeks' rows (every theme, then each), then the period's (each theme, then every
    theme) with the backlog by age: every figure the dashboard shows, and each theme's."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    scope = dashboard.scope_label
    summary = dashboard.summary
    # Filtered on one theme, "every theme" is that theme: its rows would be written twice.
    everything = dashboard.theme or ALL_THEMES
    no_backlog = ("",) * (len(BACKLOG_BUCKETS) + 2)
    for week in summary.weeks:
        first = week.starts_on.strftime("%d/%m/%Y")
        writer.writerow(
            (scope, week.week, first, everything.label, *_cells(week.figures), *no_backlog)
        )
        for row in week.themes if dashboard.theme is None else ():
            writer.writerow(
                (scope, week.week, first, row.theme.label, *_cells(row.figures), *no_backlog)
            )
    period = f"{week_label(dashboard.period.first)} à {week_label(dashboard.period.last)}"
    first = dashboard.period.first.strftime("%d/%m/%Y")
    as_of = summary.backlog.as_of.strftime("%d/%m/%Y")
    if dashboard.theme is None:
        totals = {row.theme.code: row for row in summary.theme_totals}
        backlogs = {row.theme.code: row for row in summary.backlog.themes}
        themes = {code: row.theme for code, row in totals.items()} | {
            code: row.theme for code, row in backlogs.items()
        }
        for code, theme in sorted(themes.items(), key=lambda item: item[1].label):
            figures = totals[code].figures if code in totals else Figures()
            waiting = backlogs[code].buckets if code in backlogs else ()
            writer.writerow(
                (scope, period, first, theme.label, *_cells(figures), as_of, *_backlog(waiting))
            )
    writer.writerow(
        (
            scope,
            period,
            first,
            everything.label,
            *_cells(summary.total),
            as_of,
            *_backlog(summary.backlog.buckets),
        )
    )
    return out.getvalue()


def _backlog(counts: Sequence[BucketCount]) -> tuple[str, ...]:
    by_bucket = {count.bucket: count.count for count in counts}
    values = [by_bucket.get(bucket, 0) for bucket in BACKLOG_BUCKETS]
    return (*(str(value) for value in values), str(sum(values)))


def _cells(figures: Figures) -> tuple[str, ...]:
    return (
        str(figures.received),
        str(figures.answered),
        _number(figures.median_working_days),
        _number(figures.p90_working_days),
        _percent(figures.answered_on_time_share),
        str(figures.relances),
        str(figures.satisfaction_answers),
        _percent(figures.satisfaction_yes_share),
    )


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",")


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}".replace(".", ",")
