"""Members, agents, sessions, one-time codes and signing keys: plain data and rules, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from auth.domain.nir import Nir

Kind = Literal["member", "agent"]
AgentRole = Literal["agent", "supervisor", "admin"]
AGENT_ROLES: tuple[AgentRole, ...] = ("agent", "supervisor", "admin")
#: How a member's identity was proven: the activation code reached the registry's postal
#: address (``letter``) or the address the fund verified (``fund-email``), or FranceConnect
#: gave an identity the registry holds (``franceconnect``).
IdentityProof = Literal["letter", "fund-email", "franceconnect"]


def new_secret(nbytes: int = 32) -> str:
    """A random URL-safe token (43 characters for 32 bytes)."""
    return secrets.token_urlsafe(nbytes)


def new_code() -> str:
    """A 6-digit one-time code, as typed from an email."""
    return f"{secrets.randbelow(1_000_000):06d}"


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256, so a copy of the database gives none away."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(secret: str, stored: str) -> bool:
    return hmac.compare_digest(digest(secret), stored)


class MemberStatus(StrEnum):
    PENDING = "pending"  # created, waiting for the activation code
    ACTIVE = "active"


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    nir: Nir
    birth_date: date
    given_name: str
    family_name: str
    email: str
    fund: str
    password_hash: str
    status: MemberStatus
    created_at: datetime
    activated_at: datetime | None = None
    identity_proof: IdentityProof | None = None

    @property
    def active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    def personal_words(self) -> list[str]:
        """What the member's password must not contain."""
        return [
            self.given_name,
            self.family_name,
            self.nir.value,
            self.email.split("@")[0],
            self.birth_date.strftime("%d%m%Y"),
            self.birth_date.isoformat(),
        ]


@dataclass(frozen=True)
class Agent:
    id: uuid.UUID
    email: str
    given_name: str
    family_name: str
    role: AgentRole
    fund: str
    skills: tuple[str, ...]
    password_hash: str
    active: bool
    created_at: datetime

    def personal_words(self) -> list[str]:
        return [self.given_name, self.family_name, self.email.split("@")[0]]


#: Who manages agents: ``(role, fund)`` of the agent calling, or None for the command line.
Manager = tuple[AgentRole | None, str] | None


def may_manage(manager: tuple[AgentRole | None, str], agent_fund: str, role: AgentRole) -> bool:
    """An admin manages every agent; a supervisor the agents and supervisors of their fund."""
    manager_role, manager_fund = manager
    if manager_role == "admin":
        return True
    return manager_role == "supervisor" and manager_fund == agent_fund and role != "admin"


class CodePurpose(StrEnum):
    ACTIVATION = "activation"
    EMAIL_CHANGE = "email-change"


class CodeCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class OneTimeCode:
    """A code emailed to a member: a number of tries and a deadline."""

    member_id: uuid.UUID
    purpose: CodePurpose
    code_hash: str
    expires_at: datetime
    attempts: int = 0
    max_attempts: int = 5
    new_email: str | None = None

    @classmethod
    def issue(
        cls,
        member_id: uuid.UUID,
        purpose: CodePurpose,
        *,
        now: datetime,
        valid_for: timedelta,
        max_attempts: int = 5,
        new_email: str | None = None,
    ) -> tuple[OneTimeCode, str]:
        code = new_code()
        return (
            cls(
                member_id=member_id,
                purpose=purpose,
                code_hash=digest(code),
                expires_at=now + valid_for,
                max_attempts=max_attempts,
                new_email=new_email,
            ),
            code,
        )

    def check(self, submitted: str, now: datetime) -> tuple[CodeCheck, OneTimeCode]:
        """The outcome of one try, and the code as it is after it (one more attempt used)."""
        if self.attempts >= self.max_attempts:
            return CodeCheck.EXHAUSTED, self
        if now >= self.expires_at:
            return CodeCheck.EXPIRED, self
        used = replace(self, attempts=self.attempts + 1)
        if same_digest(submitted.strip(), self.code_hash):
            return CodeCheck.OK, used
        if used.attempts >= self.max_attempts:
            return CodeCheck.EXHAUSTED, used
        return CodeCheck.WRONG, used

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - self.attempts)


@dataclass(frozen=True)
class Session:
    """One login: its refresh tokens form a family that is revoked together."""

    id: uuid.UUID
    kind: Kind
    subject_id: uuid.UUID
    csrf_hash: str
    created_at: datetime
    expires_at: datetime
    method: Literal["password", "franceconnect"] = "password"
    franceconnect_id_token: str | None = None
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class RefreshToken:
    id: uuid.UUID
    session_id: uuid.UUID
    token_hash: str
    expires_at: datetime
    used_at: datetime | None = None


class KeyStatus(StrEnum):
    NEXT = "next"  # published, not signing yet: verifiers learn it before it signs
    ACTIVE = "active"  # signs new tokens
    RETIRED = "retired"  # no longer signs; published while tokens it signed may be alive


@dataclass(frozen=True)
class SigningKey:
    kid: str
    status: KeyStatus
    private_pem: bytes = field(repr=False)
    public_jwk: dict[str, str]
    created_at: datetime
    activated_at: datetime | None = None
    retired_at: datetime | None = None

    def published(self, now: datetime, *, retired_for: timedelta) -> bool:
        if self.status is not KeyStatus.RETIRED:
            return True
        return self.retired_at is not None and now < self.retired_at + retired_for


@dataclass(frozen=True)
class FranceConnectIdentity:
    """The identity pivot FranceConnect gives, and its subject for our client."""

    subject: str
    given_name: str
    family_name: str
    birthdate: str
    gender: str
    birthplace: str
    birthcountry: str
    email: str | None = None


# --------------------------------------------------------------------------- what handlers answer


@dataclass(frozen=True)
class Account:
    """Someone's account as they see it: the member or agent, and (for a member) whether a
    FranceConnect identity is linked to it."""

    subject: Member | Agent
    franceconnect_linked: bool = False


@dataclass(frozen=True)
class IssuedSession:
    """A new or refreshed session: what the browser or the tool is given."""

    session: Session
    account: Account
    #: One access token per API (``auth``, ``catalog``, ``messages``, ``notifier``).
    access_tokens: Mapping[str, str]
    refresh_token: str
    #: Only when the session is new: the CSRF token the browser sends back in a header.
    csrf_token: str | None


@dataclass(frozen=True)
class FranceConnectStart:
    """Where to send the browser, and the binding it keeps in a cookie meanwhile."""

    authorization_url: str
    browser_binding: str


@dataclass(frozen=True)
class FranceConnectOutcome:
    """Either a session (the identity is linked to a member) or a link to confirm."""

    issued: IssuedSession | None = None
    pending_token: str | None = None
