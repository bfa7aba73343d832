"""What the notifier keeps about members: no address in the errors agents read. Through the
real broker, database and SMTP server."""

from __future__ import annotations

import uuid

import pytest
from notifier_testkit import (
    Notifier,
    NotifierFactory,
    SmtpSink,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)
from sqlalchemy import update

from notifier.adapters.orm import DELIVERIES
from notifier.domain.model import mask_email

pytestmark = pytest.mark.integration

POSTFIX_UNKNOWN_USER = (
    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
)
POSTFIX_GREYLISTED = "450 4.2.0 <{address}>: Recipient address rejected: Greylisted, see later"


async def logged(notifier: Notifier, member_id: uuid.UUID, *, role: str) -> list[dict[str, object]]:
    response = await notifier.client.get(
        "/deliveries", params={"member_id": str(member_id)}, headers=notifier.headers(role=role)
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


async def test_addresses_quoted_by_smtp_replies_are_masked_in_the_log_and_dead_letters(
    notifier_factory: NotifierFactory,
) -> None:
    sink = await SmtpSink().start()
    try:
        notifier = await (
            await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
        ).start()
        unknown, unknown_address = uuid.uuid4(), unique_email("inconnue")
        greylisted, greylisted_address = uuid.uuid4(), unique_email("grise")
        sink.refusals = {
            unknown_address: POSTFIX_UNKNOWN_USER,
            greylisted_address: POSTFIX_GREYLISTED,
        }
        await notifier.publish(
            contact_changed(unknown, unknown_address),
            contact_changed(greylisted, greylisted_address),
        )
        refused, delayed = message_submitted(unknown), reply_posted(greylisted)
        await notifier.publish(refused, delayed)

        dead = await notifier.wait_for_status(refused.event_id, "dead")
        retried = await notifier.wait_until(lambda row: row["attempts"] >= 1, delayed.event_id)
        assert dead["last_error"] == POSTFIX_UNKNOWN_USER.format(
            address=mask_email(unknown_address)
        )
        assert retried["last_error"] == POSTFIX_GREYLISTED.format(
            address=mask_email(greylisted_address)
        )
        [dead_letter] = await notifier.dead_letters()
        assert dead_letter.reason == dead["last_error"]  # type: ignore[attr-defined]

        # Agents read the errors with the address masked; admins too (they see the whole
        # address as the recipient, as before).
        for role in ("agent", "supervisor", "admin"):
            [entry] = await logged(notifier, unknown, role=role)
            assert unknown_address not in str(entry["last_error"])
            assert mask_email(unknown_address) in str(entry["last_error"])
        [entry] = await logged(notifier, unknown, role="admin")
        assert entry["recipient"] == unknown_address

        # An error stored before the addresses were masked is masked when read.
        async with notifier.engine.begin() as connection:
            await connection.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.event_id == refused.event_id)
                .values(last_error=POSTFIX_UNKNOWN_USER.format(address=unknown_address))
            )
        for role in ("agent", "admin"):
            [entry] = await logged(notifier, unknown, role=role)
            assert entry["last_error"] == dead["last_error"]
    finally:
        await sink.stop()
