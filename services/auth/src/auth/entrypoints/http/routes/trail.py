"""The security trail, as supervisors (their fund) and admins (every fund) read it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from auth.domain.commands import ListSecurityEvents
from auth.domain.trail import TrailQuery
from auth.entrypoints.http import schemas
from auth.entrypoints.http.deps import BusDep, LiveManager
from contracts.events.security import SecurityEventKind
from servicekit import cursors
from servicekit.problems import Problem, problem_responses

router = APIRouter(tags=["security"])


@router.get(
    "/security-events",
    summary="The security trail: logins, resets, sensitive changes, agent management",
    description="Newest first. A supervisor reads the entries of their fund's members and "
    "agents (whatever `fund` says); an admin every fund's, or `fund`'s. Filters: `kind` "
    "(repeatable), `outcome`, `actor` (an account's id, an agent's email or a member's masked "
    "number, as actor or subject), `since` (inclusive) and `until` (exclusive). Addresses are "
    "keyed hashes; members are named by their masked number.",
    response_model=schemas.SecurityEventsPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_security_events(
    manager: LiveManager,
    bus: BusDep,
    kind: Annotated[list[SecurityEventKind] | None, Query(max_length=30)] = None,
    outcome: Literal["success", "failure"] | None = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=254)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    fund: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    cursor: Annotated[str | None, Query(max_length=cursors.MAX_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.SecurityEventsPublic:
    assert manager is not None
    for moment, name in ((since, "since"), (until, "until")):
        if moment is not None and moment.tzinfo is None:
            raise Problem(
                422,
                "invalid-request",
                "Indiquez la date avec son fuseau horaire (par exemple 2026-12-03T10:00:00Z).",
                errors=[{"field": name, "message": "Date sans fuseau horaire."}],
            )
    after: tuple[datetime, uuid.UUID] | None = None
    if cursor:
        try:
            after = cursors.decode(cursor, datetime, uuid.UUID)
        except cursors.InvalidCursor:
            raise Problem(
                400,
                "invalid-cursor",
                "Ce lien de page n'est plus valable : reprenez la liste depuis le début.",
            ) from None
    events = await bus.handle(
        ListSecurityEvents(
            reader_role=manager[0],
            reader_fund=manager[1],
            query=TrailQuery(
                fund=fund,
                kinds=tuple(kind or ()),
                outcome=outcome,
                actor=actor,
                since=since,
                until=until,
                limit=limit + 1,
                after=after,
            ),
        )
    )
    page = events[:limit]
    next_cursor = cursors.encode(page[-1].occurred_at, page[-1].id) if len(events) > limit else None
    return schemas.SecurityEventsPublic(
        data=[schemas.SecurityEventPublic.from_domain(event) for event in page],
        next_cursor=next_cursor,
    )
