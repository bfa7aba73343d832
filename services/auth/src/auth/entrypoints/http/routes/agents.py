"""Agent accounts, managed by admins (every fund) and supervisors (their fund)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from auth.domain.commands import (
    CreateAgent,
    GetAgent,
    ListAgents,
    ResetAgentPassword,
    SendAgentPasswordReset,
    UpdateAgent,
)
from auth.entrypoints.http import schemas
from auth.entrypoints.http.deps import (
    BusDep,
    ClientAddress,
    LiveManager,
    LivePrincipal,
    SameOrigin,
)
from servicekit.problems import Problem, problem_responses

router = APIRouter(prefix="/agents", tags=["agents"])

MANAGERS_SEND_A_LINK = (
    "Vous ne pouvez pas choisir le mot de passe d'un conseiller : envoyez-lui un lien pour "
    "qu'il le choisisse lui-même (« Envoyer un lien de réinitialisation »)."
)


def _refuse_a_password(body: schemas.AgentCreate | schemas.AgentUpdate) -> None:
    if "password" in body.model_fields_set:
        raise Problem(
            422,
            "invalid-request",
            MANAGERS_SEND_A_LINK,
            errors=[{"field": "password", "message": MANAGERS_SEND_A_LINK}],
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an agent (admin: any fund; supervisor: their fund)",
    description="The agent is emailed a one-time link to choose their password "
    "(`AUTH_PASSWORD_RESET_MINUTES`; a manager sends a new one with "
    "`POST /agents/{agent_id}/password-reset`): nobody else ever sets or knows it, and a "
    "`password` here answers 422.",
    response_model=schemas.AgentPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_agent(
    body: schemas.AgentCreate,
    manager: LiveManager,
    principal: LivePrincipal,
    bus: BusDep,
    address: ClientAddress,
) -> schemas.AgentPublic:
    _refuse_a_password(body)
    agent = await bus.handle(
        CreateAgent(
            email=str(body.email),
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            fund=body.fund,
            skills=tuple(body.skills),
            manager=manager,
            actor_id=principal.subject,
            client_address=address,
        )
    )
    return schemas.AgentPublic.from_domain(agent)


@router.get(
    "",
    summary="Agents the caller manages (admin: all funds; supervisor: their fund)",
    response_model=schemas.AgentsPublic,
    responses=problem_responses(401, 403, 422),
)
async def list_agents(
    manager: LiveManager,
    bus: BusDep,
    fund: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> schemas.AgentsPublic:
    found = await bus.handle(ListAgents(fund=fund, manager=manager))
    return schemas.AgentsPublic(data=[schemas.AgentPublic.from_domain(agent) for agent in found])


@router.get(
    "/{agent_id}",
    summary="One agent",
    response_model=schemas.AgentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_agent(agent_id: uuid.UUID, manager: LiveManager, bus: BusDep) -> schemas.AgentPublic:
    return schemas.AgentPublic.from_domain(await bus.handle(GetAgent(agent_id, manager=manager)))


@router.patch(
    "/{agent_id}",
    summary="Change an agent's names, role or skills, or deactivate them",
    description="Never their password: `POST /agents/{agent_id}/password-reset` emails them a "
    "link to choose one (a `password` here answers 422).",
    response_model=schemas.AgentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_agent(
    agent_id: uuid.UUID,
    body: schemas.AgentUpdate,
    manager: LiveManager,
    principal: LivePrincipal,
    bus: BusDep,
    address: ClientAddress,
) -> schemas.AgentPublic:
    _refuse_a_password(body)
    agent = await bus.handle(
        UpdateAgent(
            agent_id=agent_id,
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            skills=tuple(body.skills) if body.skills is not None else None,
            active=body.active,
            manager=manager,
            actor_id=principal.subject,
            client_address=address,
        )
    )
    return schemas.AgentPublic.from_domain(agent)


@router.post(
    "/{agent_id}/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Email the agent a one-time link to choose a new password",
    description="What a supervisor or an admin does when an agent lost their password: "
    "nobody but the agent ever knows it. The link lasts `AUTH_PASSWORD_RESET_MINUTES` and "
    "replaces any earlier one.",
    response_model=schemas.PasswordResetSent,
    responses=problem_responses(401, 403, 404, 422),
)
async def send_password_reset(
    agent_id: uuid.UUID,
    manager: LiveManager,
    principal: LivePrincipal,
    bus: BusDep,
    address: ClientAddress,
) -> schemas.PasswordResetSent:
    expires_at = await bus.handle(
        SendAgentPasswordReset(
            agent_id=agent_id, manager=manager, actor_id=principal.subject, client_address=address
        )
    )
    return schemas.PasswordResetSent(
        detail="Un lien pour choisir un nouveau mot de passe vient d'être envoyé au conseiller.",
        expires_at=expires_at,
    )


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="An agent sets a new password with the emailed link (every session is closed)",
    response_class=Response,
    dependencies=[SameOrigin],
    responses=problem_responses(400, 403, 422),
)
async def reset_password(
    body: schemas.AgentPasswordReset, bus: BusDep, address: ClientAddress
) -> None:
    await bus.handle(
        ResetAgentPassword(token=body.token, password=body.password, client_address=address)
    )
