"""The emails that follow a reply, through the real broker, database and SMTP server:
« Je n'ai pas compris la réponse » confirmed, the « Demande de précisions » reminder and the
last email of a thread closed without an answer; the thread's other activity (details asked,
satisfaction, an agent closing or reopening it) sends nothing and is not dead-lettered."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts.events.messages import (
    DetailsReminderDue,
    DetailsRequested,
    ReplyNotUnderstood,
    SatisfactionGiven,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from notifier.domain.model import DeliveryKind
from services.notifier.tests.support import (
    MOTIF,
    SUBJECT,
    THEME,
    NotifierFactory,
    contact_changed,
    unique_email,
)

pytestmark = pytest.mark.integration

ASKED = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


async def test_relance_reminder_and_closing_emails_and_nothing_for_the_rest(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("camille")
    thread_id = uuid.uuid4()
    ids = {
        "thread_id": thread_id,
        "reference": "NPC-2026-000321",
        "member_id": member_id,
        "fund": "NPC",
    }
    nodes = {"theme": THEME, "subject": SUBJECT, "motif": MOTIF}
    relance = ReplyNotUnderstood.new(
        producer="messages", reply_id=uuid.uuid4(), due_date=date(2026, 12, 7), **ids, **nodes
    )
    reminder = DetailsReminderDue.new(
        producer="messages", requested_at=ASKED, closes_on=date(2026, 12, 31), **ids
    )
    closed = ThreadClosedUnanswered.new(producer="messages", closed_at=ASKED, **ids)
    silent = [
        DetailsRequested.new(
            producer="messages",
            reply_id=uuid.uuid4(),
            requested_at=ASKED,
            reminder_on=date(2026, 12, 11),
            closes_on=date(2026, 12, 31),
            **ids,
            **nodes,
        ),
        SatisfactionGiven.new(
            producer="messages",
            reply_id=uuid.uuid4(),
            helpful=False,
            has_comment=True,
            answered_at=ASKED,
            changed=False,
            **{key: value for key, value in ids.items() if key != "member_id"},
            **nodes,
        ),
        # An agent closing or reopening a thread: the dashboard counts it, nobody is mailed.
        ThreadClosed.new(producer="messages", agent_id=uuid.uuid4(), closed_at=ASKED, **ids),
        ThreadReopened.new(
            producer="messages",
            agent_id=uuid.uuid4(),
            reopened_at=ASKED,
            due_date=date(2026, 12, 8),
            **ids,
        ),
    ]
    await notifier.publish(contact_changed(member_id, address))
    await notifier.publish(*silent, relance, reminder, closed)

    messages = await mailbox_client.wait_for(to=address, count=3, timeout=60)
    domain = notifier.settings.message_id_domain
    by_id = {message["message_id"].strip(): message for message in messages}
    base = notifier.settings.public_base_url

    confirmed = by_id[f"<{relance.event_id}.{DeliveryKind.RELANCE_RECEIVED.value}@{domain}>"]
    assert "NPC-2026-000321" in confirmed["subject"]
    assert "demande d'explications" in confirmed["text"]
    assert "lundi 7 décembre 2026" in confirmed["text"], "the new due date"
    assert f"{base}/messages/{thread_id}" in confirmed["text"]

    reminded = by_id[f"<{reminder.event_id}.{DeliveryKind.DETAILS_REMINDER.value}@{domain}>"]
    assert reminded["subject"].startswith("Votre MSA attend votre réponse")
    assert "jeudi 31 décembre 2026" in reminded["text"], "when it will close"
    assert "demande de précisions" in reminded["text"]

    last = by_id[f"<{closed.event_id}.{DeliveryKind.THREAD_CLOSED_UNANSWERED.value}@{domain}>"]
    assert last["subject"] == "Votre demande NPC-2026-000321 est close"
    assert "Écrire un nouveau message" in last["text"]
    assert f"{base}/messages/nouveau" in last["text"]
    for message in (confirmed, reminded, last):
        assert '<html lang="fr">' in message["html"]
        assert "List-Unsubscribe" in message["headers"], "thread emails can be opted out"

    # The thread's other activity asks for no email, and is not dead-lettered either.
    await notifier.wait_processed(*(event.event_id for event in silent))
    outcomes = await notifier.outcomes(*(event.event_id for event in silent))
    assert set(outcomes.values()) == {"done"}
    for event in silent:
        assert await notifier.delivery_rows(event.event_id) == []
    await notifier.wait_for_status(closed.event_id, "sent")
    assert len(await mailbox_client.wait_for(to=address, count=3, timeout=5)) == 3
