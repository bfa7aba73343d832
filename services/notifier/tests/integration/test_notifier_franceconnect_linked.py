"""The FranceConnect link notice, from the auth event to the member's mailbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.events.auth import FranceConnectLinked
from notifier.domain.model import DeliveryKind
from services.notifier.tests.support import NotifierFactory, unique_email

pytestmark = pytest.mark.integration


async def test_a_franceconnect_link_is_told_to_the_accounts_address(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    address = unique_email("paul")
    event = FranceConnectLinked.new(
        producer="auth",
        member_id=uuid.uuid4(),
        fund="CNO",
        email=address,
        given_name="Paul",
        linked_at=datetime(2026, 12, 4, 15, 5, tzinfo=UTC),
        confirmed_by="password",
    )
    # No contact event first: like every account email, it carries its own address.
    await notifier.publish(event)

    [message] = await mailbox_client.wait_for(to=address, count=1, timeout=60)
    domain = notifier.settings.message_id_domain
    assert message["message_id"].strip() == (
        f"<{event.event_id}.{DeliveryKind.FRANCECONNECT_LINKED.value}@{domain}>"
    )
    assert message["subject"] == "Votre compte a été relié à FranceConnect"
    assert "Bonjour Paul," in message["text"]
    assert "le vendredi 4 décembre 2026 à 16 h 05" in message["text"]
    assert "MSA Côtes Normandes" in message["html"]
    assert "List-Unsubscribe" not in message["headers"]
    await notifier.wait_for_status(event.event_id, "sent")
