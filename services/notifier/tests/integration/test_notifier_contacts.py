"""The contact projection follows the contact topic in its own order, whatever the clocks
of the auth replicas that wrote the events say."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.notifier.tests.support import (
    NotifierFactory,
    contact_changed,
    message_submitted,
    unique_email,
)

pytestmark = pytest.mark.integration


async def test_the_last_contact_on_the_partition_wins_even_with_an_older_clock(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id = uuid.uuid4()
    old_address, new_address = unique_email("ancienne"), unique_email("nouvelle")
    first = contact_changed(member_id, old_address)
    # The email change was written by another auth replica whose clock is behind: its
    # occurred_at is earlier, but it comes later on the member's partition, so it is newer.
    changed = contact_changed(member_id, new_address, given_name="Camille-Marie").model_copy(
        update={"occurred_at": first.occurred_at - timedelta(minutes=5)}
    )
    await notifier.publish(first, changed)
    await notifier.wait_processed(first.event_id, changed.event_id)
    contact = await notifier.contact(member_id)
    assert contact is not None
    assert (contact["email"], contact["given_name"]) == (new_address, "Camille-Marie")

    event = message_submitted(member_id)
    await notifier.publish(event)
    sent = await notifier.wait_for_status(event.event_id, "sent")
    assert sent["recipient"] == new_address
    [email] = await mailbox_client.wait_for(to=new_address, timeout=30)
    assert email["message_id"].strip() == sent["message_id"]
    assert await mailbox_client.list(to=old_address) == []
