"""Request and response shapes of the delivery log and preferences API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from notifier.domain.model import DeliveryKind, DeliveryStatus


class DeliveryPublic(BaseModel):
    """One email and what became of it. Never its content."""

    # Read from a ``Delivery`` as its reader may see it (``domain.delivery_log.seen_by``).
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: uuid.UUID
    kind: DeliveryKind = Field(description="Which email.", examples=["reply_available"])
    status: DeliveryStatus = Field(
        description=(
            "`waiting_contact`: the member's address is not known yet; `pending`: to be sent "
            "(again) at `next_attempt_at`; `sending`: handed to the SMTP server, outcome not "
            "recorded yet; `sent`; `dead`: given up, see `last_error` (a supervisor may replay it); "
            "`skipped_opted_out`: not sent, and never will be, because the member turned thread "
            "emails off (`last_error` says so in French)."
        )
    )
    member_id: uuid.UUID
    thread_id: uuid.UUID | None = Field(description="The thread, for thread notifications.")
    reference: str | None = Field(
        description="Reference of the thread.", examples=["NPC-2026-000123"]
    )
    recipient: str | None = Field(
        description="Address, masked (admins see it whole); unknown while waiting for the contact.",
        examples=["c************n@example.fr"],
    )
    created_at: datetime = Field(description="When the event asking for this email was received.")
    sent_at: datetime | None = Field(description="When the SMTP server accepted it.")
    attempts: int = Field(description="SMTP transactions tried so far.")
    last_error: str | None = Field(
        description=(
            "Why it is not sent (yet), in French for the agents reading the log. Email "
            "addresses in it (SMTP replies quote them) are masked, for every role."
        ),
        examples=["550 5.1.1 <c************n@example.fr>: Recipient address rejected"],
    )
    next_attempt_at: datetime | None = Field(description="When it is tried next (pending only).")
    dead_at: datetime | None = Field(description="When it was given up on, if it was.")
    replayed_at: datetime | None = Field(description="When a supervisor last replayed it.")
    message_id: str = Field(
        description="Message-ID header: the same at every attempt, to find the email in mail logs.",
        examples=["<0b0f8a53-3a57-4cf5-9c1c-3b1c0e2b5a41.reply_available@msa.example>"],
    )


class DeliveriesPublic(BaseModel):
    """A page of deliveries, newest first."""

    # Read from a ``DeliveriesPage``.
    model_config = ConfigDict(from_attributes=True)

    data: list[DeliveryPublic]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` to get the next page; null on the last page."
    )


class PreferencesPublic(BaseModel):
    """What the member receives."""

    # Read from the member's ``Preferences``.
    model_config = ConfigDict(from_attributes=True)

    thread_emails: bool = Field(
        description=(
            "Emails about the member's threads: the confirmation that a message or a follow-up "
            "was received, and the notice that a reply is available. Account-security emails "
            "(activation code, password reset, lock warning, email-change code) are always sent."
        ),
        examples=[True],
    )


class PreferencesUpdate(BaseModel):
    """The member's new choice. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    thread_emails: StrictBool = Field(
        description="true to receive the thread emails, false to stop them.", examples=[False]
    )
