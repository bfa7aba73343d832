"""What the notifier is asked to do (commands) and to tell (queries), each with what
answering it returns.

The events of other services become commands in ``entrypoints/stream``; requests become
commands in ``entrypoints/http``; ``service_layer/handlers`` answers each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts import Event
from contracts.events.auth import MemberContactChanged
from notifier.domain.delivery_log import DeliveriesPage
from notifier.domain.model import Delivery
from notifier.domain.preferences import ChangedThrough, Preferences
from servicekit.bus import Command

# --------------------------------------------------------------------------- from events


@dataclass(frozen=True)
class RequestEmail(Command[None]):
    """Record the email an event asks for (a message submitted, a reply posted, an account
    notification)."""

    event: Event


@dataclass(frozen=True)
class SaveContact(Command[None]):
    """Keep a member's contact as the contact topic says, and send what waited for it."""

    contact: MemberContactChanged


@dataclass(frozen=True)
class ForgetMember(Command[None]):
    """A tombstone on the contact topic: the member deleted their account. ``key`` is the
    record's key, the member id as text (anything else is ignored)."""

    key: str


# --------------------------------------------------------------------------- the delivery log


@dataclass(frozen=True)
class ListDeliveries(Command[DeliveriesPage]):
    """The emails of one thread or one member of the agent's fund (exactly one of them),
    newest first."""

    fund: str
    viewer_role: str | None
    thread_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class ListDeadLetters(Command[DeliveriesPage]):
    """The fund's emails given up on, newest first."""

    fund: str
    viewer_role: str | None
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True)
class ReplayDeadLetter(Command[Delivery]):
    """Try a dead-lettered email again now, after its cause was fixed."""

    delivery_id: uuid.UUID
    fund: str
    requested_by: uuid.UUID
    viewer_role: str | None


# --------------------------------------------------------------------------- preferences


@dataclass(frozen=True)
class GetPreferences(Command[Preferences]):
    member_id: uuid.UUID


@dataclass(frozen=True)
class ChangePreferences(Command[Preferences]):
    """A member turns thread emails on or off from their account."""

    member_id: uuid.UUID
    thread_emails: bool
    through: ChangedThrough = ChangedThrough.ACCOUNT


@dataclass(frozen=True)
class Unsubscribe(Command[Preferences]):
    """The unsubscribe link of an email was used (one click, or the portal's page): thread
    emails off for the member it names."""

    token: str


@dataclass(frozen=True)
class OpenUnsubscribeLink(Command[str]):
    """The unsubscribe link opened in a browser: where to send it (the portal's page),
    changing nothing."""

    token: str


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class PurgeReport:
    deliveries: int
    processed_events: int
    forgotten_members: int


@dataclass(frozen=True)
class PurgeExpired(Command[PurgeReport]):
    """Delete what is past its retention, ``batch_size`` rows per transaction."""

    batch_size: int = 1000
