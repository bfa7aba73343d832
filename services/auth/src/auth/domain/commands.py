"""What callers ask the auth service to do: small immutable commands, named in the imperative."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from auth.domain.model import AgentRole, Kind


@dataclass(frozen=True)
class RegisterMember:
    nir_with_key: str
    birth_date: date
    given_name: str
    family_name: str
    email: str
    fund: str
    password: str
    client_address: str


@dataclass(frozen=True)
class ActivateMember:
    nir: str
    code: str


@dataclass(frozen=True)
class RenewActivationCode:
    nir: str


@dataclass(frozen=True)
class LogInMember:
    nir: str
    password: str
    client_address: str


@dataclass(frozen=True)
class LogInAgent:
    email: str
    password: str
    client_address: str


@dataclass(frozen=True)
class RefreshSession:
    refresh_token: str
    #: The CSRF token the browser sent, checked against the session's (None for bearer use).
    csrf_token: str | None = None


@dataclass(frozen=True)
class LogOut:
    session_id: uuid.UUID


@dataclass(frozen=True)
class RequestPasswordReset:
    nir: str


@dataclass(frozen=True)
class ResetPassword:
    token: str
    password: str


@dataclass(frozen=True)
class ChangePassword:
    kind: Kind
    subject_id: uuid.UUID
    session_id: uuid.UUID | None
    current_password: str
    new_password: str


@dataclass(frozen=True)
class RequestEmailChange:
    member_id: uuid.UUID
    new_email: str


@dataclass(frozen=True)
class ConfirmEmailChange:
    member_id: uuid.UUID
    code: str


@dataclass(frozen=True)
class DeleteMember:
    member_id: uuid.UUID


@dataclass(frozen=True)
class CreateAgent:
    email: str
    given_name: str
    family_name: str
    role: AgentRole
    fund: str
    skills: tuple[str, ...]
    password: str


@dataclass(frozen=True)
class UpdateAgent:
    agent_id: uuid.UUID
    given_name: str | None = None
    family_name: str | None = None
    role: AgentRole | None = None
    skills: tuple[str, ...] | None = None
    active: bool | None = None
    password: str | None = None


@dataclass(frozen=True)
class StartFranceConnect:
    """Begin a FranceConnect login: a state, a nonce and a browser binding."""


@dataclass(frozen=True)
class FinishFranceConnect:
    code: str | None
    state: str | None
    issuer: str | None
    error: str | None
    browser_binding: str | None


@dataclass(frozen=True)
class LinkFranceConnect:
    pending_token: str
    nir: str
    password: str
    client_address: str
