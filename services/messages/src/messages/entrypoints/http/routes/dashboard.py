"""The supervisors' dashboard: figures per ISO week and theme, as JSON or as a CSV file.

Supervisors see their fund; admins every fund, one at a time or added up (no ``fund``)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from messages.domain.dashboard import ALL_THEMES, Figures, week_label
from messages.domain.dashboard_commands import Dashboard, ShowDashboard, Viewer
from messages.entrypoints.http.deps import BusDep, current_supervisor, plain_query
from messages.entrypoints.http.schemas.dashboard import DashboardPublic
from servicekit.problems import problem_responses
from servicekit.security import CurrentSupervisor

router = APIRouter(prefix="/agent", tags=["agent"])


def dashboard_viewer(principal: CurrentSupervisor) -> Viewer:
    """A supervisor or an admin (others: 403), of a known fund."""
    return Viewer(fund=current_supervisor(principal).fund, admin=principal.role == "admin")


ViewerDep = Annotated[Viewer, Depends(dashboard_viewer)]


def dashboard_query(
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
        "description": "The weekly figures as a CSV file for a spreadsheet: UTF-8 with a BOM, "
        "« ; » between columns, decimal commas, French headers.",
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
)


@router.get(
    "/dashboard.csv",
    summary="The dashboard's weekly figures as a CSV file (same filters as /agent/dashboard)",
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
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    scope = dashboard.scope_label
    for week in dashboard.summary.weeks:
        first = week.starts_on.strftime("%d/%m/%Y")
        writer.writerow((scope, week.week, first, ALL_THEMES.label, *_cells(week.figures)))
        for row in week.themes:
            writer.writerow((scope, week.week, first, row.theme.label, *_cells(row.figures)))
    period = f"{week_label(dashboard.period.first)} à {week_label(dashboard.period.last)}"
    writer.writerow(
        (
            scope,
            period,
            dashboard.period.first.strftime("%d/%m/%Y"),
            dashboard.theme.label if dashboard.theme is not None else ALL_THEMES.label,
            *_cells(dashboard.summary.total),
        )
    )
    return out.getvalue()


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
