"""The directory of agents: kept from ``auth.agents.v1`` (consumer group ``messages.agents``),
read when a supervisor gives a thread to an agent."""

from __future__ import annotations

from contracts.events.agents import AgentChanged
from messages.domain.model import DirectoryAgent
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.logging import get_logger

logger = get_logger(__name__)


async def keep_agent(event: AgentChanged, uow: MessagesUnitOfWork) -> None:
    """Consumer of ``auth.agents.v1``: the agent's latest state, unless a newer one is held."""
    kept = await uow.agents_directory.save(
        DirectoryAgent(
            id=event.agent_id,
            fund=event.fund,
            given_name=event.given_name,
            family_name=event.family_name,
            role=event.role,
            skills=tuple(event.skills),
            active=event.active,
        ),
        changed_at=event.occurred_at,
    )
    if not kept:
        logger.info("older state of an agent ignored", agent_id=str(event.agent_id))
