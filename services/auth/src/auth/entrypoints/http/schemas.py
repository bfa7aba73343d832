"""Request and response bodies of the auth API, as families per entity."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from auth.domain.model import Account, Agent, AgentRole, IssuedSession, Member
from auth.domain.trail import SecurityEvent
from contracts import FundCode
from contracts.events.security import SecurityEventKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
NirText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="The social-security number; spaces and dots between digits are accepted.",
        examples=["2 95 10 99 126 111"],
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=256)]
Skill = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Code = Annotated[str, Field(min_length=1, max_length=20, examples=["482913"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """A response body: every field is sent, those with a default too (so the OpenAPI
    document says they are required)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


# --------------------------------------------------------------------------- members


class MemberCreate(Body):
    """An enrolment: the number, birth date and family name must be those of a person the
    registry holds (the fund and the names are then the registry's)."""

    nir: NirText = Field(
        description="The 15 characters: the 13 of the number and the 2-digit key.",
        examples=["2 95 10 99 126 111 93"],
    )
    birth_date: date = Field(examples=["1995-10-12"])
    family_name: Name = Field(
        description="Family name at birth or name in use (accents and case aside).",
        examples=["MARTIN"],
    )
    email: EmailStr = Field(
        description="Where to write once the account is active (not where the code goes).",
        examples=["camille.martin@example.fr"],
    )
    password: Password


class MemberIdentityPublic(Public):
    """How a member's identity was proven, for the agents of their fund."""

    member_id: uuid.UUID
    fund: str
    identity_proof: Literal["letter", "fund-email", "franceconnect"] | None = Field(
        description="`letter`: the activation code reached the registry's postal address; "
        "`fund-email`: the address the fund verified; `franceconnect`: FranceConnect gave an "
        "identity the registry holds; null: not recorded (accounts older than the registry).",
    )
    proven_at: datetime | None = Field(description="When the account was activated.")


class ActivationCreate(Body):
    nir: NirText
    code: Code


class ActivationRenewal(Body):
    nir: NirText


class MemberPublic(Public):
    kind: Literal["member"] = "member"
    id: uuid.UUID
    given_name: str
    family_name: str
    email: str
    fund: str
    nir_masked: str = Field(
        description="The number with most digits hidden.", examples=["2*********111"]
    )
    franceconnect_linked: bool

    @classmethod
    def from_domain(cls, member: Member, *, franceconnect_linked: bool) -> MemberPublic:
        return cls(
            id=member.id,
            given_name=member.given_name,
            family_name=member.family_name,
            email=member.email,
            fund=member.fund,
            nir_masked=member.nir.masked,
            franceconnect_linked=franceconnect_linked,
        )


# --------------------------------------------------------------------------- sessions


class SessionCreate(Body):
    nir: NirText = Field(description="The 13 characters of the number, without the key.")
    password: Password
    bearer: bool = Field(
        default=False,
        description="For tools: return the tokens in the body and set no cookie.",
    )


class AgentSessionCreate(Body):
    email: Annotated[str, Field(min_length=1, max_length=254, examples=["agent.npc@msa.example"])]
    password: Password
    bearer: bool = False


class SessionRefresh(Body):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="For tools; browsers send the refresh cookie instead."
    )


class AgentPublic(Public):
    kind: Literal["agent"] = "agent"
    id: uuid.UUID
    email: str
    given_name: str
    family_name: str
    role: AgentRole
    fund: str
    skills: list[str]
    active: bool

    @classmethod
    def from_domain(cls, agent: Agent) -> AgentPublic:
        return cls(
            id=agent.id,
            email=agent.email,
            given_name=agent.given_name,
            family_name=agent.family_name,
            role=agent.role,
            fund=agent.fund,
            skills=list(agent.skills),
            active=agent.active,
        )


Profile = Annotated[MemberPublic | AgentPublic, Field(discriminator="kind")]


def profile_of(account: Account) -> MemberPublic | AgentPublic:
    """The ``Profile`` of an account: a member's or an agent's."""
    if isinstance(account.subject, Agent):
        return AgentPublic.from_domain(account.subject)
    return MemberPublic.from_domain(
        account.subject, franceconnect_linked=account.franceconnect_linked
    )


class SessionPublic(BaseModel):
    """Sent without the fields that do not apply (never as null): the CSRF token on a new
    session only, the tokens only when ``bearer`` was asked."""

    profile: Profile
    csrf_token: str | SkipJsonSchema[None] = Field(
        default=None,
        description="Send it back in the X-CSRF-Token header of every state-changing request "
        "(also in the web app's readable CSRF cookie, `mm-portal-csrf` or "
        "`mm-backoffice-csrf`, `__Host-` first outside localhost). Absent on refresh: it does "
        "not change.",
    )
    expires_in: int = Field(description="Seconds the access tokens live.")
    access_token: str | SkipJsonSchema[None] = Field(
        default=None,
        description="Only when `bearer` was asked: the access token of the auth API alone "
        "(`access_tokens` holds one for each API).",
    )
    access_tokens: dict[str, str] | SkipJsonSchema[None] = Field(
        default=None,
        description="Only when `bearer` was asked: one access token per API (`auth`, "
        "`catalog`, `messages`, `notifier`); each API accepts only its own.",
    )
    refresh_token: str | SkipJsonSchema[None] = Field(
        default=None, description="Only when `bearer` was asked."
    )
    token_type: Literal["Bearer"] | SkipJsonSchema[None] = Field(
        default=None, description="Only when `bearer` was asked."
    )

    @classmethod
    def from_domain(cls, issued: IssuedSession, *, bearer: bool, expires_in: int) -> SessionPublic:
        """A browser gets the CSRF token of a new session (its tokens go in cookies); a tool
        that asked for ``bearer`` gets the tokens themselves."""
        if not bearer:
            return cls(
                profile=profile_of(issued.account),
                csrf_token=issued.csrf_token,
                expires_in=expires_in,
            )
        return cls(
            profile=profile_of(issued.account),
            expires_in=expires_in,
            access_token=issued.access_tokens["auth"],
            access_tokens=dict(issued.access_tokens),
            refresh_token=issued.refresh_token,
            token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        )


class SessionEnded(Public):
    franceconnect_logout_url: str | None = Field(
        default=None,
        description="For a FranceConnect session: where to send the browser to log out of "
        "FranceConnect too.",
    )


class FranceConnectLogout(BaseModel):
    logout_url: str = Field(
        description="Where the browser goes next: FranceConnect's end-session endpoint (with "
        "`id_token_hint`, `post_logout_redirect_uri` and `state`) for a session opened with "
        "FranceConnect, which sends it back to the portal; the portal's home otherwise.",
        examples=[
            "https://fcp.integ01.dev-franceconnect.fr/api/v2/session/end?id_token_hint=eyJ...&"
            "post_logout_redirect_uri=https%3A%2F%2Fmes-messages.msa.fr%2Fapi%2Fauth%2F"
            "franceconnect%2Flogged-out&state=0f6c..."
        ],
    )


class Accepted(BaseModel):
    detail: str


#: The answer to a request whose outcome must not tell whether an account has the number.
ACCEPTED = (
    "Si les informations correspondent à un compte, un courriel vient d'être envoyé : "
    "suivez ses instructions."
)


# --------------------------------------------------------------------------- passwords and contact


class PasswordForgotten(Body):
    nir: NirText


class PasswordReset(Body):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


CurrentPassword = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=256,
        description="The account's current password. May be left out within 5 minutes of a "
        "FranceConnect login (the login stands for it).",
    ),
]


class PasswordChange(Body):
    current_password: CurrentPassword = None
    new_password: Password


class AccountConfirmation(Body):
    """The confirmation a sensitive change needs (deletion, FranceConnect unlinking)."""

    current_password: CurrentPassword = None


class EmailChange(Body):
    email: EmailStr
    current_password: CurrentPassword = None


class EmailChangePending(BaseModel):
    detail: str
    expires_at: datetime


class EmailConfirmation(Body):
    code: Code


class FranceConnectLink(Body):
    nir: NirText
    password: Password


# --------------------------------------------------------------------------- agents


class AgentCreate(Body):
    email: EmailStr
    given_name: Name
    family_name: Name
    role: AgentRole
    fund: FundCode
    skills: Annotated[list[Skill], Field(max_length=50)] = Field(
        default_factory=list, description="Theme codes the agent handles.", examples=[["famille"]]
    )
    password: Password | None = Field(
        default=None,
        deprecated=True,
        description="Refused (422): the agent is emailed a one-time link to choose their "
        "password, and nobody else ever sets or knows it.",
    )


class AgentUpdate(Body):
    given_name: Name | None = None
    family_name: Name | None = None
    role: AgentRole | None = None
    skills: Annotated[list[Skill], Field(max_length=50)] | None = None
    active: bool | None = None
    password: Password | None = Field(
        default=None,
        deprecated=True,
        description="Refused (422): a manager never sets another agent's password; "
        "`POST /agents/{agent_id}/password-reset` emails the agent a link to choose one.",
    )


class PasswordResetSent(BaseModel):
    detail: str
    expires_at: datetime


class AgentPasswordReset(Body):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


class AgentsPublic(BaseModel):
    data: list[AgentPublic]


# --------------------------------------------------------------------------- reference data


class FundPublic(BaseModel):
    code: str = Field(examples=["NPC"])
    name: str = Field(examples=["MSA Nord-Pas de Calais"])
    site: str = Field(examples=["https://nord-pasdecalais.msa.fr"])


class FundsPublic(BaseModel):
    data: list[FundPublic]


class Jwk(BaseModel):
    """A public key that verifies access tokens (RFC 7517)."""

    model_config = ConfigDict(extra="allow")

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str
    use: Literal["sig"]
    alg: Literal["ES256"]


class Jwks(BaseModel):
    keys: list[Jwk]


# --------------------------------------------------------------------------- security trail


class SecurityEventPublic(Public):
    """One entry of the security trail."""

    id: uuid.UUID
    occurred_at: datetime
    kind: SecurityEventKind
    outcome: Literal["success", "failure"]
    fund: str | None
    subject_kind: Literal["member", "agent"] | None
    subject_id: uuid.UUID | None
    subject_label: str | None = Field(
        description="A member's masked number, an agent's email; what was typed, masked, when "
        "no account has it."
    )
    actor_kind: Literal["member", "agent", "system"]
    actor_id: uuid.UUID | None
    actor_label: str | None
    address_hash: str | None = Field(
        description="The client address as a keyed hash: equal hashes, same address."
    )
    method: Literal["password", "franceconnect", "link"] | None
    details: dict[str, str]

    @classmethod
    def from_domain(cls, event: SecurityEvent) -> SecurityEventPublic:
        return cls(**asdict(event))


class SecurityEventsPublic(Public):
    data: list[SecurityEventPublic]
    next_cursor: str | None = Field(
        default=None, description="Give it as `cursor` for the next page; null on the last."
    )
