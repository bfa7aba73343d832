"""Events of the auth service about access itself: tokens that must no longer open anything.

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
