"""HTTP routes of the notifier service: the delivery log and the dead letters."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from notifier.adapters.repository import Page
from notifier.domain.commands import ReplayDeadLetter
from notifier.domain.errors import DeliveryNotFound
from notifier.entrypoints.http.deps import (
    Cursor,
    Limit,
    UnitOfWorkDep,
    decode_cursor,
    encode_cursor,
)
from notifier.entrypoints.http.schemas import DeliveriesPublic, DeliveryPublic
from notifier.service_layer import handlers
from servicekit.problems import Problem, problem_responses
from servicekit.security import CurrentAgent, CurrentSupervisor, Principal

router = APIRouter()


def _page(page: Page, principal: Principal) -> DeliveriesPublic:
    unmasked = principal.role == "admin"
    return DeliveriesPublic(
        data=[DeliveryPublic.of(delivery, unmasked=unmasked) for delivery in page.deliveries],
        next_cursor=encode_cursor(page.next_cursor),
    )


@router.get(
    "/deliveries",
    tags=["deliveries"],
    summary="Emails of one thread or one member, and what became of them",
    response_model=DeliveriesPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_deliveries(
    agent: CurrentAgent,
    uow: UnitOfWorkDep,
    thread_id: Annotated[uuid.UUID | None, Query(description="A thread of your fund.")] = None,
    member_id: Annotated[uuid.UUID | None, Query(description="A member of your fund.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveriesPublic:
    if (thread_id is None) == (member_id is None):
        raise Problem(
            422,
            "deliveries-filter",
            "Précisez soit une demande (thread_id), soit un adhérent (member_id).",
        )
    page = await handlers.list_deliveries(
        uow,
        fund=agent.fund,
        thread_id=thread_id,
        member_id=member_id,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return _page(page, agent)


@router.get(
    "/dead-letters",
    tags=["dead letters"],
    summary="Emails of your fund given up on, newest first",
    response_model=DeliveriesPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_dead_letters(
    supervisor: CurrentSupervisor,
    uow: UnitOfWorkDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveriesPublic:
    page = await handlers.list_deliveries(
        uow, fund=supervisor.fund, dead_only=True, after=decode_cursor(cursor), limit=limit
    )
    return _page(page, supervisor)


@router.post(
    "/dead-letters/{delivery_id}/replay",
    tags=["dead letters"],
    summary="Send a dead-lettered email again, now that its cause is fixed",
    description=(
        "The delivery becomes `pending` and is tried at once. Replaying again while it is "
        "pending, sending or sent changes nothing and returns it as it is."
    ),
    response_model=DeliveryPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def replay_dead_letter(
    supervisor: CurrentSupervisor,
    uow: UnitOfWorkDep,
    delivery_id: Annotated[uuid.UUID, Path(description="`id` of the dead-lettered delivery.")],
) -> DeliveryPublic:
    try:
        delivery = await handlers.replay_dead_letter(
            ReplayDeadLetter(
                delivery_id=delivery_id, fund=supervisor.fund, requested_by=supervisor.subject
            ),
            uow,
        )
    except DeliveryNotFound:
        raise Problem(
            404,
            "dead-letter-not-found",
            "Cet e-mail en échec est introuvable : vérifiez son identifiant dans la liste.",
        ) from None
    return DeliveryPublic.of(delivery, unmasked=supervisor.role == "admin")
