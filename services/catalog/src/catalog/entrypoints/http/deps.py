"""Dependencies of the catalog routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from catalog.domain.model import Version
from catalog.service_layer.handlers import Clock
from catalog.service_layer.published import LatestVersion
from catalog.service_layer.unit_of_work import CatalogUnitOfWork
from servicekit.logging import get_logger
from servicekit.problems import Problem

logger = get_logger(__name__)


def get_uow(request: Request) -> CatalogUnitOfWork:
    factory: Callable[[], CatalogUnitOfWork] = request.app.state.unit_of_work
    return factory()


UnitOfWorkDep = Annotated[CatalogUnitOfWork, Depends(get_uow)]


def get_clock(request: Request) -> Clock:
    clock: Clock = getattr(request.app.state, "clock", lambda: datetime.now(UTC))
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_latest_version(request: Request) -> Version:
    """The latest published version; 503 while none is published yet."""
    latest: LatestVersion = request.app.state.latest_version
    version = await latest.get()
    if version is None:
        raise Problem(
            503,
            "catalog-not-published",
            "Le catalogue n'est pas encore disponible. Réessayez dans quelques instants.",
            headers={"Retry-After": "30"},
        )
    return version


LatestVersionDep = Annotated[Version, Depends(get_latest_version)]


def draft_revision(if_match: str | None) -> int | None:
    """The draft revision an ``If-Match`` names (``"draft-12"``), or ``None`` without one.

    Called in the route body, so a malformed request body is reported (422) first."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    number = tag.removeprefix("draft-")
    if not number.isdigit() or len(number) > 9:
        raise Problem(
            412,
            "precondition-failed",
            "L'en-tête If-Match ne désigne pas une révision du brouillon : rechargez le "
            'brouillon et renvoyez son ETag (par exemple "draft-12").',
        )
    return int(number)


IfMatch = Annotated[
    str | None,
    Header(
        description='ETag of the draft the change is based on (e.g. "draft-12"); when it is '
        "no longer current the change is refused with 412 and nothing is written.",
        examples=['"draft-12"'],
    ),
]
