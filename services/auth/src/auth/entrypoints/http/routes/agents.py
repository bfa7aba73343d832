"""Agent accounts, managed by admins (every fund) and supervisors (their fund)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from auth.domain.commands import CreateAgent, GetAgent, ListAgents, UpdateAgent
from auth.entrypoints.http import schemas
from auth.entrypoints.http.deps import BusDep, LiveManager
from servicekit.problems import problem_responses

router = APIRouter(prefix="/agents", tags=["agents"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an agent (admin: any fund; supervisor: their fund)",
    response_model=schemas.AgentPublic,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_agent(
    body: schemas.AgentCreate, manager: LiveManager, bus: BusDep
) -> schemas.AgentPublic:
    agent = await bus.handle(
        CreateAgent(
            email=str(body.email),
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            fund=body.fund,
            skills=tuple(body.skills),
            password=body.password,
            manager=manager,
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
    summary="Change an agent's names, role, skills, password or deactivate them",
    response_model=schemas.AgentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_agent(
    agent_id: uuid.UUID, body: schemas.AgentUpdate, manager: LiveManager, bus: BusDep
) -> schemas.AgentPublic:
    agent = await bus.handle(
        UpdateAgent(
            agent_id=agent_id,
            given_name=body.given_name,
            family_name=body.family_name,
            role=body.role,
            skills=tuple(body.skills) if body.skills is not None else None,
            active=body.active,
            password=body.password,
            manager=manager,
        )
    )
    return schemas.AgentPublic.from_domain(agent)
