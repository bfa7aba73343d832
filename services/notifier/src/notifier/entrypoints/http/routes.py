"""HTTP routes of the notifier service: the delivery log, the dead letters, and what members
choose to receive."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse

from notifier.adapters.repository import Page
from notifier.domain.commands import ChangePreferences, ReplayDeadLetter
from notifier.domain.errors import DeliveryNotFound, MemberForgotten
from notifier.domain.preferences import ChangedThrough
from notifier.entrypoints.http.deps import (
    Cursor,
    Limit,
    UnitOfWorkDep,
    UnsubscribeToken,
    UnsubscribeTokensDep,
    decode_cursor,
    encode_cursor,
)
from notifier.entrypoints.http.schemas import (
    DeliveriesPublic,
    DeliveryPublic,
    PreferencesPublic,
    PreferencesUpdate,
)
from notifier.service_layer import handlers
from servicekit.problems import Problem, problem_responses
from servicekit.security import CurrentAgent, CurrentMember, CurrentSupervisor, Principal

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
        "pending, sending or sent changes nothing and returns it as it is. An email of a "
        "member who deleted their account answers 409: it can never be sent."
    ),
    response_model=DeliveryPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
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
    except MemberForgotten:
        raise Problem(
            409,
            "member-account-deleted",
            "L'adhérent a supprimé son compte : cet e-mail ne peut plus être envoyé, et ses "
            "coordonnées ont été effacées.",
        ) from None
    return DeliveryPublic.of(delivery, unmasked=supervisor.role == "admin")


# --------------------------------------------------------------------------- preferences


@router.get(
    "/preferences",
    tags=["preferences"],
    summary="What the member receives by email",
    response_model=PreferencesPublic,
    responses=problem_responses(401, 403),
)
async def get_preferences(member: CurrentMember, uow: UnitOfWorkDep) -> PreferencesPublic:
    return PreferencesPublic.of(await handlers.get_preferences(uow, member_id=member.subject))


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
    member: CurrentMember, uow: UnitOfWorkDep, update: PreferencesUpdate
) -> PreferencesPublic:
    preferences = await handlers.change_preferences(
        ChangePreferences(
            member_id=member.subject,
            thread_emails=update.thread_emails,
            through=ChangedThrough.ACCOUNT,
        ),
        uow,
    )
    return PreferencesPublic.of(preferences)


def _member_of_link(tokens: UnsubscribeTokensDep, token: UnsubscribeToken) -> uuid.UUID:
    member_id = tokens.verify(token)
    if member_id is None:
        raise Problem(
            404,
            "unsubscribe-link-not-found",
            "Ce lien de désabonnement n'est pas valide : ouvrez le lien complet reçu par "
            "e-mail, ou choisissez les e-mails que vous recevez dans votre compte.",
        )
    return member_id


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
async def unsubscribe(
    uow: UnitOfWorkDep, tokens: UnsubscribeTokensDep, token: UnsubscribeToken
) -> PreferencesPublic:
    preferences = await handlers.change_preferences(
        ChangePreferences(
            member_id=_member_of_link(tokens, token),
            thread_emails=False,
            through=ChangedThrough.UNSUBSCRIBE_LINK,
        ),
        uow,
    )
    return PreferencesPublic.of(preferences)


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
async def unsubscribe_page(
    request: Request, tokens: UnsubscribeTokensDep, token: UnsubscribeToken
) -> RedirectResponse:
    _member_of_link(tokens, token)
    base = request.app.state.settings.public_base_url.rstrip("/")
    return RedirectResponse(f"{base}/desabonnement#jeton={token}", status_code=303)
