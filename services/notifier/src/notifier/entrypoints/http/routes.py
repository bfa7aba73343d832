"""HTTP routes of the notifier service: the delivery log, the dead letters, and what members
choose to receive. Each turns the request into a command for the bus; refusals are mapped to
problems once (``errors.py``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse

from notifier.domain.commands import (
    ChangePreferences,
    GetPreferences,
    ListDeadLetters,
    ListDeliveries,
    OpenUnsubscribeLink,
    ReplayDeadLetter,
    Unsubscribe,
)
from notifier.domain.delivery_log import DeliveriesPage
from notifier.domain.model import Delivery
from notifier.domain.preferences import Preferences
from notifier.entrypoints.http.deps import BusDep, Cursor, Limit, UnsubscribeToken
from notifier.entrypoints.http.schemas import (
    DeliveriesPublic,
    DeliveryPublic,
    PreferencesPublic,
    PreferencesUpdate,
)
from servicekit.problems import problem_responses
from servicekit.security import CurrentAgent, CurrentMember, CurrentSupervisor

router = APIRouter()


@router.get(
    "/deliveries",
    tags=["deliveries"],
    summary="Emails of one thread or one member, and what became of them",
    response_model=DeliveriesPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_deliveries(
    agent: CurrentAgent,
    bus: BusDep,
    thread_id: Annotated[uuid.UUID | None, Query(description="A thread of your fund.")] = None,
    member_id: Annotated[uuid.UUID | None, Query(description="A member of your fund.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveriesPage:
    return await bus.handle(
        ListDeliveries(
            fund=agent.fund,
            viewer_role=agent.role,
            thread_id=thread_id,
            member_id=member_id,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get(
    "/dead-letters",
    tags=["dead letters"],
    summary="Emails of your fund given up on, newest first",
    response_model=DeliveriesPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_dead_letters(
    supervisor: CurrentSupervisor, bus: BusDep, limit: Limit = 50, cursor: Cursor = None
) -> DeliveriesPage:
    return await bus.handle(
        ListDeadLetters(
            fund=supervisor.fund, viewer_role=supervisor.role, cursor=cursor, limit=limit
        )
    )


@router.post(
    "/dead-letters/{delivery_id}/replay",
    tags=["dead letters"],
    summary="Send a dead-lettered email again, now that its cause is fixed",
    description=(
        "The delivery becomes `pending` and is tried at once. Replaying again while it is "
        "pending, sending or sent changes nothing and returns it as it is. An email of a "
        "member who deleted their account answers 409: it can never be sent."
    ),
    response_model=DeliveryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def replay_dead_letter(
    supervisor: CurrentSupervisor,
    bus: BusDep,
    delivery_id: Annotated[uuid.UUID, Path(description="`id` of the dead-lettered delivery.")],
) -> Delivery:
    return await bus.handle(
        ReplayDeadLetter(
            delivery_id=delivery_id,
            fund=supervisor.fund,
            requested_by=supervisor.subject,
            viewer_role=supervisor.role,
        )
    )


# --------------------------------------------------------------------------- preferences


@router.get(
    "/preferences",
    tags=["preferences"],
    summary="What the member receives by email",
    response_model=PreferencesPublic,
    responses=problem_responses(401, 403),
)
async def get_preferences(member: CurrentMember, bus: BusDep) -> Preferences:
    return await bus.handle(GetPreferences(member_id=member.subject))


@router.put(
    "/preferences",
    tags=["preferences"],
    summary="Turn the thread emails on or off",
    description=(
        "For the member logged in. With the session cookie, the `X-CSRF-Token` header is "
        "required. Thread emails not yet handed to the SMTP server are not sent once off."
    ),
    response_model=PreferencesPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def change_preferences(
    member: CurrentMember, bus: BusDep, update: PreferencesUpdate
) -> Preferences:
    return await bus.handle(
        ChangePreferences(member_id=member.subject, thread_emails=update.thread_emails)
    )


@router.post(
    "/unsubscribe",
    tags=["preferences"],
    summary="One-click unsubscribe from the thread emails (RFC 8058)",
    description=(
        "The `List-Unsubscribe` link of every thread email. No login: the token names the "
        "member and is signed by the notifier. Mail clients send the form body "
        "`List-Unsubscribe=One-Click`; the body is not required. Turning emails off twice "
        "changes nothing. An invalid token answers 404 and changes nothing."
    ),
    response_model=PreferencesPublic,
    responses=problem_responses(404, 422),
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}
                        },
                    }
                }
            },
        }
    },
)
async def unsubscribe(bus: BusDep, token: UnsubscribeToken) -> Preferences:
    return await bus.handle(Unsubscribe(token=token))


@router.get(
    "/unsubscribe",
    tags=["preferences"],
    summary="The unsubscribe link opened in a browser: on to the portal's page",
    description=(
        "A mail client without one-click support opens the `List-Unsubscribe` link: it is "
        "sent on (303) to the portal's page `/desabonnement`, which explains and asks for "
        "confirmation. A GET never changes anything (link scanners follow links)."
    ),
    response_class=RedirectResponse,
    status_code=303,
    responses=problem_responses(404, 422),
)
async def unsubscribe_page(bus: BusDep, token: UnsubscribeToken) -> RedirectResponse:
    # A redirect, not a body: the browser goes on to the portal's page.
    return RedirectResponse(await bus.handle(OpenUnsubscribeLink(token=token)), status_code=303)
