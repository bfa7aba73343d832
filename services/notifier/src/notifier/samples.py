"""Sample events of every kind, for ``render-samples`` and the benchmark."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts import Event
from contracts.events.auth import (
    AccountChanged,
    AccountLocked,
    ActivationCodeIssued,
    AgentAccountChanged,
    AgentPasswordResetRequested,
    EmailChangeCodeIssued,
    FranceConnectLinked,
    PasswordResetRequested,
)
from contracts.events.common import CatalogNode
from contracts.events.messages import (
    DetailsReminderDue,
    MessageSubmitted,
    ReplyNotUnderstood,
    ReplyPosted,
    ThreadClosedUnanswered,
)
from notifier.domain.model import DeliveryKind, Recipient

SAMPLE_MEMBER = uuid.UUID("6f1c2b1e-4d0a-4b55-9a4e-0c9a3c2f5b11")
SAMPLE_THREAD = uuid.UUID("1d3c9a52-7e88-4f0e-bb5c-2a9d1f0c4e77")
SAMPLE_RECIPIENT = Recipient("camille.martin@example.fr", "Camille", "MARTIN")

THEME = CatalogNode(code="famille", label="Famille, Allocations familiales, aides au logement")
SUBJECT = CatalogNode(code="allocations-familiales", label="Allocations familiales")
MOTIF = CatalogNode(code="changement-situation", label="Mon changement de situation")


def sample_events(
    *, fund: str = "NPC", member_id: uuid.UUID = SAMPLE_MEMBER, email: str | None = None
) -> dict[DeliveryKind, Event]:
    """One event per kind of email, as its producer would publish it."""
    now = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
    email = email or SAMPLE_RECIPIENT.email
    thread: dict[str, Any] = {
        "thread_id": SAMPLE_THREAD,
        "reference": f"{fund}-2026-000123",
        "member_id": member_id,
        "fund": fund,
        "theme": THEME,
        "subject": SUBJECT,
        "motif": MOTIF,
    }
    ids = {key: thread[key] for key in ("thread_id", "reference", "member_id", "fund")}
    account: dict[str, Any] = {
        "member_id": member_id,
        "fund": fund,
        "email": email,
        "given_name": "Camille",
    }
    return {
        DeliveryKind.MESSAGE_RECEIVED: MessageSubmitted.new(
            producer="messages",
            occurred_at=now,
            message_id=uuid.uuid4(),
            submitted_at=now,
            due_date=date(2026, 12, 10),
            follow_up=False,
            **thread,
        ),
        DeliveryKind.FOLLOW_UP_RECEIVED: MessageSubmitted.new(
            producer="messages",
            occurred_at=now + timedelta(days=1),
            message_id=uuid.uuid4(),
            submitted_at=now + timedelta(days=1),
            due_date=date(2026, 12, 11),
            follow_up=True,
            **thread,
        ),
        DeliveryKind.REPLY_AVAILABLE: ReplyPosted.new(
            producer="messages",
            occurred_at=now + timedelta(days=3),
            reply_id=uuid.uuid4(),
            posted_at=now + timedelta(days=3),
            **thread,
        ),
        DeliveryKind.RELANCE_RECEIVED: ReplyNotUnderstood.new(
            producer="messages",
            occurred_at=now + timedelta(days=4),
            reply_id=uuid.uuid4(),
            due_date=date(2026, 12, 9),
            **thread,
        ),
        DeliveryKind.DETAILS_REMINDER: DetailsReminderDue.new(
            producer="messages",
            occurred_at=now + timedelta(days=10),
            requested_at=now,
            closes_on=date(2026, 12, 31),
            **ids,
        ),
        DeliveryKind.THREAD_CLOSED_UNANSWERED: ThreadClosedUnanswered.new(
            producer="messages",
            occurred_at=now + timedelta(days=30),
            closed_at=now + timedelta(days=30),
            **ids,
        ),
        DeliveryKind.ACTIVATION_CODE: ActivationCodeIssued.new(
            producer="auth", code="482913", expires_at=now + timedelta(minutes=30), **account
        ),
        DeliveryKind.PASSWORD_RESET: PasswordResetRequested.new(
            producer="auth",
            reset_token="Yk3v9Qe2-exemple-de-jeton",  # noqa: S106 - sample, not a secret
            expires_at=now + timedelta(hours=1),
            **account,
        ),
        DeliveryKind.ACCOUNT_LOCKED: AccountLocked.new(
            producer="auth", locked_until=now + timedelta(minutes=15), **account
        ),
        DeliveryKind.EMAIL_CHANGE_CODE: EmailChangeCodeIssued.new(
            producer="auth", code="730114", expires_at=now + timedelta(minutes=30), **account
        ),
        DeliveryKind.FRANCECONNECT_LINKED: FranceConnectLinked.new(
            producer="auth", linked_at=now, confirmed_by="identity", **account
        ),
        DeliveryKind.ACCOUNT_CHANGED: AccountChanged.new(
            producer="auth",
            change="email_changed",
            changed_at=now,
            new_email="camille.nouvelle@example.fr",
            **account,
        ),
        DeliveryKind.AGENT_PASSWORD_RESET: AgentPasswordResetRequested.new(
            producer="auth",
            agent_id=account["member_id"],
            fund=account["fund"],
            email="agent.npc@msa.example",
            given_name="Hugo",
            reset_token="Qm8t2Lw4-exemple-de-jeton",  # noqa: S106 - sample, not a secret
            expires_at=now + timedelta(minutes=30),
        ),
        DeliveryKind.AGENT_ACCOUNT_CHANGED: AgentAccountChanged.new(
            producer="auth",
            agent_id=account["member_id"],
            fund=account["fund"],
            email="agent.npc@msa.example",
            given_name="Hugo",
            change="password_changed",
            changed_at=now,
        ),
    }
