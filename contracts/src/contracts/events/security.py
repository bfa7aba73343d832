"""Events of the auth service about access itself: tokens that must no longer open anything,
and the security trail (who logged in, failed, changed what, from which address, hashed).

A revocation names a session (every access token carries its session id, ``sid``): when a
member logs out, changes or resets their password or deletes their account, and when an agent
is deactivated or given another role, each session that ends is published here. Every service
keeps these until the tokens they concern have expired and refuses those tokens; the auth
service then publishes a tombstone for the session, so the compacted topic stays small.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Event

RevocationReason = Literal[
    "logout",
    "password_changed",
    "password_reset",
    "account_deleted",
    "agent_deactivated",
    "agent_changed",
    "refresh_token_reused",
]


class SessionRevoked(Event):
    """A session ended before its time: its access tokens must be refused everywhere at once.
    Keyed by the session id; a tombstone (no value) once ``tokens_expire_by`` has passed."""

    session_id: uuid.UUID = Field(
        description="The session (the tokens' `sid` claim; also the Kafka key)."
    )
    subject_id: uuid.UUID = Field(description="The member or agent whose session it was.")
    kind: Literal["member", "agent"]
    reason: RevocationReason = Field(examples=["logout"])
    revoked_at: AwareDatetime
    tokens_expire_by: AwareDatetime = Field(
        description="No access token of the session is valid after this moment (the last one "
        "issued expires then, verifiers' leeway included): a consumer may forget the session."
    )


SecurityEventKind = Literal[
    "login_succeeded",
    "login_failed",
    "login_locked",
    "address_locked",
    "login_throttled",
    "logged_out",
    "confirmation_failed",
    "password_reset_requested",
    "password_reset_completed",
    "password_changed",
    "email_change_requested",
    "email_changed",
    "franceconnect_linked",
    "franceconnect_unlinked",
    "account_deleted",
    "agent_created",
    "agent_role_changed",
    "agent_deactivated",
    "agent_reactivated",
    "agent_password_reset_requested",
]


class SecurityEventRecorded(Event):
    """One entry of the security trail: an authentication or a change to an account, who
    did it and from which address (hashed with a key: the same address gives the same hash,
    which tells nothing of the address). Never a password, a code or a link; a member is
    named by their masked number. Keyed by the event id: entries stand alone."""

    kind: SecurityEventKind = Field(examples=["login_failed"])
    outcome: Literal["success", "failure"]
    fund: str | None = Field(
        default=None,
        description="The fund of the account concerned (none for a number no account has).",
        examples=["NPC"],
    )
    subject_kind: Literal["member", "agent"] | None = Field(
        default=None, description="The account concerned: a member or an agent."
    )
    subject_id: uuid.UUID | None = Field(default=None, description="Its id, when it exists.")
    subject_label: str | None = Field(
        default=None,
        description="How it reads: a member's masked number, an agent's email; for a login "
        "failure on an unknown account, what was typed, masked.",
        examples=["2*********111"],
    )
    actor_kind: Literal["member", "agent", "system"] = Field(
        description="Who did it: the account itself, an agent managing it, or the service."
    )
    actor_id: uuid.UUID | None = None
    actor_label: str | None = Field(default=None, examples=["superviseur.npc@msa.example"])
    address_hash: str | None = Field(
        default=None,
        description="HMAC-SHA-256 of the client address under the service's key (hex, 32 "
        "characters): compares addresses without revealing them.",
    )
    method: Literal["password", "franceconnect", "link"] | None = Field(
        default=None, description="How the person proved who they are, when they did."
    )
    details: dict[str, str] = Field(
        default_factory=dict,
        description="What changed, in identifiers (a role before and after, a reason).",
        examples=[{"previous_role": "agent", "role": "supervisor"}],
    )
