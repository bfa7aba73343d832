"""Member accounts: registration, activation, the caller's account, contact address."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from auth.domain.commands import (
    ActivateMember,
    ConfirmEmailChange,
    DeleteMember,
    GetAccount,
    GetMemberIdentity,
    RegisterMember,
    RenewActivationCode,
    RequestEmailChange,
    UnlinkFranceConnect,
)
from auth.entrypoints.http import schemas
from auth.entrypoints.http.cookies import clear_session_cookies
from auth.entrypoints.http.deps import (
    BusDep,
    ClientAddress,
    LiveMember,
    LivePrincipal,
    SameOrigin,
    SettingsDep,
)
from servicekit.problems import Problem, problem_responses
from servicekit.security import Principal

router = APIRouter(tags=["members"])


#: The one answer to an enrolment, whatever the registry says.
ENROLMENT_ANSWER = (
    "Si ces informations correspondent à une personne couverte par la MSA, un code "
    "d'activation lui sera envoyé par courrier ou à l'adresse électronique connue de votre "
    "caisse."
)


@router.post(
    "/members",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Enrol a person the registry holds (an activation code is sent by post, or to "
    "the address the fund verified)",
    response_model=schemas.Accepted,
    responses=problem_responses(403, 422, 429),
    dependencies=[SameOrigin],
)
async def register(
    body: schemas.MemberCreate, bus: BusDep, address: ClientAddress
) -> schemas.Accepted:
    await bus.handle(
        RegisterMember(
            nir_with_key=body.nir,
            birth_date=body.birth_date,
            family_name=body.family_name,
            email=str(body.email),
            password=body.password,
            client_address=address,
        )
    )
    return schemas.Accepted(detail=ENROLMENT_ANSWER)


@router.get(
    "/members/{member_id}/identity",
    summary="How a member's identity was proven (agents of the member's fund)",
    response_model=schemas.MemberIdentityPublic,
    responses=problem_responses(401, 403, 404),
)
async def member_identity(
    member_id: uuid.UUID, principal: LivePrincipal, bus: BusDep
) -> schemas.MemberIdentityPublic:
    if not principal.is_agent:
        raise Problem(403, "agents-only", "Cette fonction est réservée aux conseillers.")
    member = await bus.handle(
        GetMemberIdentity(member_id=member_id, agent_role=principal.role, agent_fund=principal.fund)
    )
    return schemas.MemberIdentityPublic(
        member_id=member.id,
        fund=member.fund,
        identity_proof=member.identity_proof,
        proven_at=member.activated_at if member.active else None,
    )


@router.post(
    "/members/activation",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Activate an account with the emailed code",
    response_class=Response,
    responses=problem_responses(400, 403, 422),
    dependencies=[SameOrigin],
)
async def activate(body: schemas.ActivationCreate, bus: BusDep) -> None:
    await bus.handle(ActivateMember(nir=body.nir, code=body.code))


@router.post(
    "/members/activation/renewal",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a new activation code",
    response_model=schemas.Accepted,
    dependencies=[SameOrigin],
    responses=problem_responses(403, 422, 429),
)
async def renew_activation(body: schemas.ActivationRenewal, bus: BusDep) -> schemas.Accepted:
    await bus.handle(RenewActivationCode(nir=body.nir))
    return schemas.Accepted(detail=schemas.ACCEPTED)


@router.get(
    "/me",
    summary="The account of the caller (member or agent)",
    response_model=schemas.Profile,
    responses=problem_responses(401),
)
async def me(principal: LivePrincipal, bus: BusDep) -> schemas.MemberPublic | schemas.AgentPublic:
    return schemas.profile_of(await bus.handle(GetAccount(principal.kind, principal.subject)))


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete the member's account and contact data (current password asked)",
    description="The body gives `current_password`; it may be left out within 5 minutes of "
    "a FranceConnect login (`403 reauthentication-required` otherwise). A wrong password "
    "answers `400 wrong-password` and counts as a failed login. The address is told.",
    response_class=Response,
    responses=problem_responses(400, 401, 403, 422, 429),
)
async def delete_me(
    principal: LiveMember,
    bus: BusDep,
    settings: SettingsDep,
    address: ClientAddress,
    response: Response,
    body: schemas.AccountConfirmation | None = None,
) -> None:
    await bus.handle(
        DeleteMember(
            member_id=principal.subject,
            session_id=_session_of(principal),
            current_password=body.current_password if body else None,
            client_address=address,
        )
    )
    clear_session_cookies(response, settings)


@router.delete(
    "/me/franceconnect",
    summary="Unlink the member's FranceConnect identity (current password asked)",
    description="As `DELETE /me`: `current_password`, or a FranceConnect login of less than "
    "5 minutes. The next FranceConnect login asks for the number and password again. The "
    "address is told.",
    response_model=schemas.MemberPublic,
    responses=problem_responses(400, 401, 403, 422, 429),
)
async def unlink_franceconnect(
    principal: LiveMember,
    bus: BusDep,
    address: ClientAddress,
    body: schemas.AccountConfirmation | None = None,
) -> schemas.MemberPublic | schemas.AgentPublic:
    account = await bus.handle(
        UnlinkFranceConnect(
            member_id=principal.subject,
            session_id=_session_of(principal),
            current_password=body.current_password if body else None,
            client_address=address,
        )
    )
    return schemas.profile_of(account)


def _session_of(principal: Principal) -> uuid.UUID | None:
    return uuid.UUID(principal.session_id) if principal.session_id else None


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Change the email address: a code is sent to the new one (current password asked)",
    description="`current_password` may be left out within 5 minutes of a FranceConnect login "
    "(`403 reauthentication-required` otherwise); a wrong one answers `400 wrong-password` and "
    "counts as a failed login. Once confirmed, the previous address is told.",
    response_model=schemas.EmailChangePending,
    responses=problem_responses(400, 401, 403, 422, 429),
)
async def change_email(
    body: schemas.EmailChange, principal: LiveMember, bus: BusDep, address: ClientAddress
) -> schemas.EmailChangePending:
    expires_at = await bus.handle(
        RequestEmailChange(
            member_id=principal.subject,
            new_email=str(body.email),
            session_id=_session_of(principal),
            current_password=body.current_password,
            client_address=address,
        )
    )
    return schemas.EmailChangePending(
        detail="Un code de confirmation vient d'être envoyé à la nouvelle adresse : "
        "saisissez-le pour confirmer le changement.",
        expires_at=expires_at,
    )


@router.post(
    "/me/email/confirmation",
    summary="Confirm the new email address with its code",
    response_model=schemas.MemberPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def confirm_email(
    body: schemas.EmailConfirmation, principal: LiveMember, bus: BusDep, address: ClientAddress
) -> schemas.MemberPublic | schemas.AgentPublic:
    account = await bus.handle(
        ConfirmEmailChange(member_id=principal.subject, code=body.code, client_address=address)
    )
    return schemas.profile_of(account)
