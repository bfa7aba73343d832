"""Repositories: domain objects in and out of the tables, on the unit of work's session, one
module per aggregate."""

from __future__ import annotations

from auth.adapters.repository.agents import AgentRepository
from auth.adapters.repository.franceconnect import FranceConnectRepository
from auth.adapters.repository.members import (
    CodeRepository,
    MemberRepository,
    PasswordResetRepository,
)
from auth.adapters.repository.sessions import SessionRepository
from auth.adapters.repository.signing_keys import KeyRepository
from auth.adapters.repository.throttles import ThrottleRepository
from auth.adapters.repository.trail import TrailRepository

__all__ = [
    "AgentRepository",
    "CodeRepository",
    "FranceConnectRepository",
    "KeyRepository",
    "MemberRepository",
    "PasswordResetRepository",
    "SessionRepository",
    "ThrottleRepository",
    "TrailRepository",
]
