"""The directory of agents, published by the auth service: who may be given a thread.

Every agent's latest state, in full, keyed by the agent id on a compacted topic: created, a
new name, role or skills, deactivated or reactivated. A consumer that reads the topic from
the beginning holds the whole directory; it never needs the auth service's database nor a
caller's word for who an agent is. No email, no password: what assigning work needs.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from contracts.envelope import Event
from contracts.funds import FundCode


class AgentChanged(Event):
    """An agent as the auth service holds them now (the Kafka key is ``agent_id``)."""

    agent_id: uuid.UUID = Field(description="The agent (also the Kafka key).")
    fund: FundCode
    given_name: str = Field(examples=["Sophie"])
    family_name: str = Field(examples=["BERNARD"])
    role: str = Field(description="agent, supervisor or admin.", examples=["agent"])
    skills: list[str] = Field(
        default_factory=list,
        description="Theme codes the agent handles.",
        examples=[["famille", "sante"]],
    )
    active: bool = Field(description="False once deactivated: no thread may be given to them.")
