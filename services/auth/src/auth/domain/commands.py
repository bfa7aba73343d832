"""What callers ask the auth service: small immutable commands, named in the imperative.

Each is a ``servicekit.bus.Command`` whose type parameter is what handling it returns; the
questions (``GetAccount``, ``ListAgents``...) are commands too, answered without a change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from auth.domain.model import (
    Account,
    Agent,
    AgentRole,
    FranceConnectOutcome,
    FranceConnectStart,
    IssuedSession,
    Kind,
    Manager,
    Member,
    Session,
)
from auth.domain.trail import SecurityEvent, TrailQuery
from servicekit.bus import Command

# --------------------------------------------------------------------------- members


@dataclass(frozen=True)
class RegisterMember(Command[None]):
    """Enrol a person the registry holds: number, birth date and family name (at birth or
    in use) must be theirs; the fund and names are the registry's."""

    nir_with_key: str
    birth_date: date
    family_name: str
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class GetMemberIdentity(Command[Member]):
    """A member as an agent of their fund (or an admin) may see them: how their identity
    was proven. ``NotFound`` for anyone else's."""

    member_id: uuid.UUID
    agent_role: AgentRole | None
    agent_fund: str


@dataclass(frozen=True)
class ActivateMember(Command[None]):
    nir: str
    code: str


@dataclass(frozen=True)
class RenewActivationCode(Command[None]):
    nir: str


@dataclass(frozen=True)
class GetAccount(Command[Account]):
    """The caller's account (``NotFound`` when it is gone)."""

    kind: Kind
    subject_id: uuid.UUID


class Reauthenticated(Protocol):
    """A sensitive change's command: the person confirms who they are with the current
    password, or by the FranceConnect login that opened ``session_id`` moments ago."""

    @property
    def session_id(self) -> uuid.UUID | None: ...
    @property
    def current_password(self) -> str | None: ...
    @property
    def client_address(self) -> str: ...


@dataclass(frozen=True)
class RequestEmailChange(Command[datetime]):
    """Answered with the moment the code sent to the new address expires. Needs the current
    password, or a FranceConnect login of less than ``reauthentication_seconds``."""

    member_id: uuid.UUID
    new_email: str
    session_id: uuid.UUID | None = None
    current_password: str | None = None
    client_address: str = "unknown"


@dataclass(frozen=True)
class ConfirmEmailChange(Command[Account]):
    member_id: uuid.UUID
    code: str
    client_address: str = "unknown"


@dataclass(frozen=True)
class DeleteMember(Command[None]):
    """Needs the current password, or a recent FranceConnect login."""

    member_id: uuid.UUID
    session_id: uuid.UUID | None = None
    current_password: str | None = None
    client_address: str = "unknown"


@dataclass(frozen=True)
class UnlinkFranceConnect(Command[Account]):
    """Unlink the member's FranceConnect identity; needs the current password, or a recent
    FranceConnect login."""

    member_id: uuid.UUID
    session_id: uuid.UUID | None = None
    current_password: str | None = None
    client_address: str = "unknown"


# --------------------------------------------------------------------------- sessions and passwords


@dataclass(frozen=True)
class LogInMember(Command[IssuedSession]):
    nir: str
    password: str
    client_address: str


@dataclass(frozen=True)
class RefreshSession(Command[IssuedSession]):
    refresh_token: str
    #: The CSRF token the browser sent, checked against the session's (None for bearer use).
    csrf_token: str | None = None


@dataclass(frozen=True)
class GetLiveSession(Command[Session | None]):
    """The session an access token names, if it is still open."""

    session_id: str | None


@dataclass(frozen=True)
class FindSessionOfRefreshToken(Command[uuid.UUID | None]):
    """The session a browser's refresh cookie belongs to, once its access token expired;
    ``CsrfRefused`` when the CSRF token is not the session's."""

    refresh_token: str
    csrf_token: str


@dataclass(frozen=True)
class LogOut(Command[str | None]):
    """Revoke the session; answered with FranceConnect's logout address when the session
    was opened there (the browser goes there next), None otherwise."""

    session_id: uuid.UUID | None
    client_address: str = "unknown"


@dataclass(frozen=True)
class RequestPasswordReset(Command[None]):
    nir: str
    client_address: str = "unknown"


@dataclass(frozen=True)
class ResetPassword(Command[None]):
    token: str
    password: str
    client_address: str = "unknown"


@dataclass(frozen=True)
class ChangePassword(Command[None]):
    kind: Kind
    subject_id: uuid.UUID
    session_id: uuid.UUID | None
    #: None: only accepted within moments of a FranceConnect login.
    current_password: str | None
    new_password: str
    #: The current password is checked under the login's brute-force rules, by address too.
    client_address: str = "unknown"


# --------------------------------------------------------------------------- agents


@dataclass(frozen=True)
class LogInAgent(Command[IssuedSession]):
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class CreateAgent(Command[Agent]):
    email: str
    given_name: str
    family_name: str
    role: AgentRole
    fund: str
    skills: tuple[str, ...]
    #: Who asks (None: the command line, which may create any agent).
    manager: Manager = None
    actor_id: uuid.UUID | None = None
    client_address: str = "unknown"


@dataclass(frozen=True)
class GetAgent(Command[Agent]):
    """An agent the manager may see; any other is ``NotFound`` (no hint it exists)."""

    agent_id: uuid.UUID
    manager: Manager = None


@dataclass(frozen=True)
class ListAgents(Command[list[Agent]]):
    """The agents the manager manages, of ``fund`` when an admin names one."""

    fund: str | None = None
    manager: Manager = None


@dataclass(frozen=True)
class UpdateAgent(Command[Agent]):
    agent_id: uuid.UUID
    given_name: str | None = None
    family_name: str | None = None
    role: AgentRole | None = None
    skills: tuple[str, ...] | None = None
    active: bool | None = None
    manager: Manager = None
    actor_id: uuid.UUID | None = None
    client_address: str = "unknown"


@dataclass(frozen=True)
class SendAgentPasswordReset(Command[datetime]):
    """Email an agent a one-time link to choose a new password (what a manager does instead
    of setting it); answered with when the link expires."""

    agent_id: uuid.UUID
    manager: Manager = None
    actor_id: uuid.UUID | None = None
    client_address: str = "unknown"


@dataclass(frozen=True)
class ResetAgentPassword(Command[None]):
    """An agent sets a new password with the emailed link: single use, sessions revoked."""

    token: str
    password: str
    client_address: str = "unknown"


# --------------------------------------------------------------------------- security trail


@dataclass(frozen=True)
class ListSecurityEvents(Command[list[SecurityEvent]]):
    """The trail as a supervisor (their fund) or an admin (every fund, or ``fund``) reads it:
    newest first, ``limit`` after the cursor's entry."""

    reader_role: AgentRole | None
    reader_fund: str
    query: TrailQuery


# --------------------------------------------------------------------------- FranceConnect


@dataclass(frozen=True)
class StartFranceConnect(Command[FranceConnectStart]):
    """Begin a FranceConnect login: a state, a nonce and a browser binding."""


@dataclass(frozen=True)
class FinishFranceConnect(Command[FranceConnectOutcome]):
    code: str | None
    state: str | None
    issuer: str | None
    error: str | None
    browser_binding: str | None
    client_address: str = "unknown"


@dataclass(frozen=True)
class LinkFranceConnect(Command[IssuedSession]):
    #: The pending login's cookie (None when the browser has none left: it expired).
    pending_token: str | None
    nir: str
    password: str
    client_address: str


# --------------------------------------------------------------------------- housekeeping


@dataclass(frozen=True)
class GetJwks(Command[dict[str, Any]]):
    """The public keys that verify access tokens, as a JWK set."""


@dataclass(frozen=True)
class PruneExpired(Command[None]):
    """Forget old throttling rows and stale FranceConnect requests."""


@dataclass(frozen=True)
class SeedDemoAccounts(Command[list[str]]):
    """Create (or set back) the demo accounts of the local environment; answered with the
    ``DEMO`` lines to print."""
