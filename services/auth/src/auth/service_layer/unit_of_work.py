"""The auth service's unit of work: one transaction and the repositories that work in it."""

from __future__ import annotations

from auth.adapters.registry import RegistryRepository
from auth.adapters.repository import (
    AgentRepository,
    CodeRepository,
    FranceConnectRepository,
    KeyRepository,
    MemberRepository,
    PasswordResetRepository,
    SessionRepository,
    ThrottleRepository,
)
from servicekit.db import UnitOfWork


class AuthUnitOfWork(UnitOfWork):
    members: MemberRepository
    agents: AgentRepository
    codes: CodeRepository
    password_resets: PasswordResetRepository
    sessions: SessionRepository
    throttles: ThrottleRepository
    keys: KeyRepository
    franceconnect: FranceConnectRepository
    registry: RegistryRepository

    def on_enter(self) -> None:
        self.members = MemberRepository(self.session)
        self.agents = AgentRepository(self.session)
        self.codes = CodeRepository(self.session)
        self.password_resets = PasswordResetRepository(self.session)
        self.sessions = SessionRepository(self.session)
        self.throttles = ThrottleRepository(self.session)
        self.keys = KeyRepository(self.session)
        self.franceconnect = FranceConnectRepository(self.session)
        self.registry = RegistryRepository(self.session)
