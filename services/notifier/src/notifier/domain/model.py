"""What the notifier sends and how a delivery goes: pure rules, no I/O."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts import Event, TopicSpec, decode
from contracts.events.auth import (
    AccountChanged,
    AccountLocked,
    ActivationCodeIssued,
    AgentAccountChanged,
    AgentPasswordResetRequested,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    MemberContactChanged,
    PasswordResetRequested,
)
from contracts.events.messages import (
    DetailsReminderDue,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    ThreadClosedUnanswered,
)
from contracts.topics import ACCOUNT_NOTIFICATION, MESSAGE_SUBMITTED, REPLY_POSTED, THREAD_ACTIVITY
from servicekit import backoff


class DeliveryKind(enum.StrEnum):
    """One kind of email; each has its own templates."""

    MESSAGE_RECEIVED = "message_received"
    FOLLOW_UP_RECEIVED = "follow_up_received"
    REPLY_AVAILABLE = "reply_available"
    ACTIVATION_CODE = "activation_code"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of email, not a password
    ACCOUNT_LOCKED = "account_locked"
    EMAIL_CHANGE_CODE = "email_change_code"
    FRANCECONNECT_LINKED = "franceconnect_linked"
    #: A sensitive change (email, password, deletion, FranceConnect unlinking), told to the
    #: address (an email change to the previous one too): « si ce n'est pas vous… ».
    ACCOUNT_CHANGED = "account_changed"
    #: A supervisor or an admin sent an agent a link to choose their password.
    AGENT_PASSWORD_RESET = "agent_password_reset"  # noqa: S105 - a kind of email
    #: An agent's own password changed or chosen with a link: « si ce n'est pas vous… ».
    AGENT_ACCOUNT_CHANGED = "agent_account_changed"
    #: « Je n'ai pas compris la réponse » was received: the fund answers again within 2 days.
    RELANCE_RECEIVED = "relance_received"
    #: Ten days after a « Demande de précisions » without an answer.
    DETAILS_REMINDER = "details_reminder"
    #: Thirty days without an answer: the thread closed; how to write again.
    THREAD_CLOSED_UNANSWERED = "thread_closed_unanswered"

    @property
    def about_a_thread(self) -> bool:
        """Thread notifications go to the member's known contact and may be unsubscribed
        from; account emails carry their own address and are never optional."""
        return self in THREAD_KINDS

    @property
    def source_topic(self) -> TopicSpec:
        if self in (DeliveryKind.MESSAGE_RECEIVED, DeliveryKind.FOLLOW_UP_RECEIVED):
            return MESSAGE_SUBMITTED
        if self is DeliveryKind.REPLY_AVAILABLE:
            return REPLY_POSTED
        if self in _ACTIVITY_KINDS.values():
            return THREAD_ACTIVITY
        return ACCOUNT_NOTIFICATION


#: The events of ``messages.thread-activity.v1`` that ask for an email; the others
#: (details requested or provided, satisfaction) ask for none.
_ACTIVITY_KINDS: dict[type[Event], DeliveryKind] = {
    ReplyNotUnderstood: DeliveryKind.RELANCE_RECEIVED,
    DetailsReminderDue: DeliveryKind.DETAILS_REMINDER,
    ThreadClosedUnanswered: DeliveryKind.THREAD_CLOSED_UNANSWERED,
}

#: Events about a thread that the notifier mails to the member's known contact.
ThreadActivityEvent = ReplyNotUnderstood | DetailsReminderDue | ThreadClosedUnanswered
ThreadEvent = MessageSubmitted | ReplyPosted | ThreadActivityEvent

THREAD_KINDS = frozenset(
    {
        DeliveryKind.MESSAGE_RECEIVED,
        DeliveryKind.FOLLOW_UP_RECEIVED,
        DeliveryKind.REPLY_AVAILABLE,
        *_ACTIVITY_KINDS.values(),
    }
)


def asks_for_email(event: Event) -> bool:
    """Whether the notifier sends anything for ``event`` (a thread's activity may need none)."""
    try:
        kind_of(event)
    except LookupError:
        return False
    return True


_ACCOUNT_KINDS: dict[type[Event], DeliveryKind] = {
    ActivationCodeIssued: DeliveryKind.ACTIVATION_CODE,
    PasswordResetRequested: DeliveryKind.PASSWORD_RESET,
    AccountLocked: DeliveryKind.ACCOUNT_LOCKED,
    EmailChangeCodeIssued: DeliveryKind.EMAIL_CHANGE_CODE,
    FranceConnectLinked: DeliveryKind.FRANCECONNECT_LINKED,
    AccountChanged: DeliveryKind.ACCOUNT_CHANGED,
    AgentPasswordResetRequested: DeliveryKind.AGENT_PASSWORD_RESET,
    AgentAccountChanged: DeliveryKind.AGENT_ACCOUNT_CHANGED,
}

AccountEvent = (
    ActivationCodeIssued
    | PasswordResetRequested
    | AccountLocked
    | EmailChangeCodeIssued
    | FranceConnectLinked
    | AccountChanged
    | AgentPasswordResetRequested
    | AgentAccountChanged
)

#: Fields of account events that are one-time secrets (as contracts declares them): never in
#: a dead letter, and wiped from the delivery once the email is sent.
SECRET_FIELDS = frozenset(ACCOUNT_NOTIFICATION.secret_fields)


def kind_of(event: Event) -> DeliveryKind:
    if isinstance(event, MessageSubmitted):
        return DeliveryKind.FOLLOW_UP_RECEIVED if event.follow_up else DeliveryKind.MESSAGE_RECEIVED
    if isinstance(event, ReplyPosted):
        return DeliveryKind.REPLY_AVAILABLE
    try:
        return (_ACCOUNT_KINDS | _ACTIVITY_KINDS)[type(event)]
    except KeyError:
        raise LookupError(f"no email for {event.event_type}") from None


class DeliveryStatus(enum.StrEnum):
    #: Waiting for the member's contact (the contact event has not arrived yet).
    WAITING_CONTACT = "waiting_contact"
    #: To be sent at ``next_attempt_at``.
    PENDING = "pending"
    #: Handed to the SMTP server; the outcome is not recorded yet.
    SENDING = "sending"
    SENT = "sent"
    #: Given up: a permanent failure, too many transient ones, or no contact in time.
    DEAD = "dead"
    #: Not sent, and never will be: the member turned thread emails off.
    SKIPPED_OPTED_OUT = "skipped_opted_out"


def message_id(event_id: uuid.UUID, kind: DeliveryKind, domain: str) -> str:
    """The same Message-ID for every attempt of one email, so a receiving server (or
    person) can recognise a copy sent again after a crash."""
    return f"<{event_id}.{kind.value}@{domain}>"


def retry_delay(failures: int, *, base: float, cap: float) -> float:
    """How long a delivery waits after its ``failures``-th transient failure in a row: the
    services' one backoff (full jitter, up to base·2^(failures-1), never above ``cap``)."""
    return backoff.delay(failures, base=base, cap=cap)


def mask_email(address: str) -> str:
    """``camille.martin@example.fr`` → ``c***********n@example.fr``: enough for an agent to
    recognise an address the member reads out, not enough to write to it."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "*" * len(address)
    if len(local) <= 2:
        return "*" * len(local) + at + domain
    return local[0] + "*" * (len(local) - 2) + local[-1] + at + domain


def redacted(payload: dict[str, Any]) -> dict[str, Any]:
    """The event without its one-time secrets."""
    return ACCOUNT_NOTIFICATION.redacted(payload)


@dataclass(frozen=True)
class Recipient:
    email: str
    given_name: str
    family_name: str = ""

    @classmethod
    def from_contact(cls, contact: MemberContactChanged) -> Recipient:
        return cls(contact.email, contact.given_name, contact.family_name)


@dataclass(frozen=True)
class Delivery:
    """One email to send and what became of it (a row of the delivery log)."""

    id: uuid.UUID
    event_id: uuid.UUID
    kind: DeliveryKind
    status: DeliveryStatus
    fund: str
    member_id: uuid.UUID
    thread_id: uuid.UUID | None
    reference: str | None
    payload: dict[str, Any]
    recipient: str | None
    message_id: str
    attempts: int
    failures: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    wait_until: datetime | None
    claimed_at: datetime | None
    sent_at: datetime | None
    dead_at: datetime | None
    replayed_at: datetime | None
    #: When the member's account was deleted and this delivery's personal data erased.
    forgotten_at: datetime | None = None

    @property
    def event(self) -> Event:
        """The event that asked for this email, read back from the log."""
        return decode(self.kind.source_topic, self.payload)

    def dead_letter_source(self) -> dict[str, Any]:
        return redacted(self.payload) if not self.kind.about_a_thread else dict(self.payload)
