"""What the notifier keeps about members: no address in the errors agents read, nothing
personal once a member deleted their account. Through the real broker, database and SMTP
server."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from contracts.events.auth import (
    ActivationCodeIssued,
    EmailChangeCodeIssued,
    PasswordResetRequested,
)
from contracts.topics import MEMBER_CONTACT, NOTIFIER_DEAD_LETTER
from notifier.adapters.orm import DELIVERIES, FORGOTTEN_MEMBERS
from notifier.domain.model import mask_email
from notifier.domain.personal_data import ACCOUNT_DELETED_EXPLANATION, KEPT_WHEN_FORGOTTEN
from servicekit.outbox import OUTBOX
from servicekit.testing import eventually
from services.notifier.tests.support import (
    Notifier,
    NotifierFactory,
    SmtpSink,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)

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


async def everything_stored(notifier: Notifier) -> str:
    """Every row of every table of the notifier's database, as text."""
    async with notifier.engine.connect() as connection:
        tables = await connection.scalars(
            text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        )
        dumps = [
            await connection.scalar(
                # The names come from the catalog of this test's own database.
                text(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM \"{name}\" t")  # noqa: S608
            )
            for name in list(tables)
        ]
    return "\n".join(dumps)


async def test_a_deleted_account_leaves_no_address_name_code_or_token_behind(
    notifier_factory: NotifierFactory,
) -> None:
    sink = await SmtpSink().start()
    try:
        notifier = await (
            await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
        ).start()
        member_id = uuid.uuid4()
        given_name, family_name = "Apolline", f"OUBLIEE-{secrets.token_hex(3).upper()}"
        address = unique_email("apolline")
        new_address = unique_email("nouvelle")  # an email change asked, never confirmed
        other_address = unique_email("ancienne")  # refused for good
        code, change_code, token = "593017", "804426", f"jeton-{secrets.token_hex(8)}"
        personal = [
            address,
            new_address,
            other_address,
            mask_email(address),
            mask_email(new_address),
            mask_email(other_address),
            given_name,
            family_name,
            code,
            change_code,
            token,
        ]
        sink.refusals = {new_address: POSTFIX_GREYLISTED, other_address: POSTFIX_UNKNOWN_USER}
        # Another member, who stays.
        neighbour, neighbour_address = uuid.uuid4(), unique_email("voisine")
        await notifier.publish(
            contact_changed(member_id, address, given_name=given_name, family_name=family_name),
            contact_changed(neighbour, neighbour_address),
        )
        expires = datetime.now(UTC) + timedelta(minutes=30)
        common: dict[str, Any] = {
            "producer": "auth",
            "member_id": member_id,
            "fund": "NPC",
            "given_name": given_name,
            "expires_at": expires,
        }
        activation = ActivationCodeIssued.new(email=address, code=code, **common)
        change = EmailChangeCodeIssued.new(email=new_address, code=change_code, **common)
        reset = PasswordResetRequested.new(email=other_address, reset_token=token, **common)
        thread = message_submitted(member_id)
        await notifier.publish(activation, change, reset, thread)
        await notifier.wait_for_status(activation.event_id, "sent")
        await notifier.wait_for_status(thread.event_id, "sent")
        await notifier.wait_for_status(reset.event_id, "dead")
        await notifier.wait_until(lambda row: row["attempts"] >= 1, change.event_id)
        await notifier.dead_letters()  # the refused reset, published
        stored = await everything_stored(notifier)
        for value in (address, given_name, family_name):
            assert value in stored
        assert change_code in stored, "not sent yet: the code is still needed"

        # The member deletes their account: a tombstone on the contact topic.
        await notifier.publish_raw(MEMBER_CONTACT, str(member_id), None)

        async def forgotten() -> list[dict[str, Any]] | None:
            async with notifier.engine.connect() as connection:
                rows = [
                    dict(row)
                    for row in (
                        await connection.execute(
                            select(DELIVERIES).where(DELIVERIES.c.member_id == member_id)
                        )
                    ).mappings()
                ]
            return rows if all(row["forgotten_at"] is not None for row in rows) else None

        rows = await eventually(forgotten, timeout=30, message="deliveries forgotten")
        assert await notifier.contact(member_id) is None
        stored = await everything_stored(notifier)
        for value in personal:
            assert value not in stored, f"{value!r} is still stored"
        assert neighbour_address in stored, "other members are untouched"

        by_event = {row["event_id"]: row for row in rows}
        assert len(by_event) == 4
        for row in rows:
            assert row["recipient"] is None
            assert set(row["payload"]) <= KEPT_WHEN_FORGOTTEN
            assert row["payload"]["event_id"] == str(row["event_id"])
            assert "@" not in (row["last_error"] or "")
        assert by_event[thread.event_id]["payload"]["reference"] == thread.reference
        assert by_event[activation.event_id]["status"] == "sent"
        assert by_event[thread.event_id]["status"] == "sent"
        assert by_event[reset.event_id]["status"] == "dead"
        assert by_event[reset.event_id]["last_error"].startswith("550 5.1.1 <[adresse effacée]>")
        # The email not sent yet never will be: dead, said why, and no dead letter for it.
        given_up = by_event[change.event_id]
        assert given_up["status"] == "dead"
        assert given_up["last_error"] == ACCOUNT_DELETED_EXPLANATION
        assert "compte supprimé" in given_up["last_error"]
        assert given_up["dead_at"] is not None
        async with notifier.engine.connect() as connection:
            dead_letters = (
                (
                    await connection.execute(
                        select(OUTBOX.c.payload).where(OUTBOX.c.topic == NOTIFIER_DEAD_LETTER.name)
                    )
                )
                .scalars()
                .all()
            )
        assert [letter["source_event_id"] for letter in dead_letters] == [str(reset.event_id)]
        assert set(dead_letters[0]["source"]) <= KEPT_WHEN_FORGOTTEN

        # A supervisor cannot send it again.
        supervisor = notifier.headers(role="supervisor")
        response = await notifier.client.post(
            f"/dead-letters/{given_up['id']}/replay", headers=supervisor
        )
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/member-account-deleted")

        # The same tombstone again changes nothing; the others' emails still go out, and
        # the greylisting over, the forgotten one is not sent.
        sink.refusals = {}
        await notifier.publish_raw(MEMBER_CONTACT, str(member_id), None)
        sentinel = message_submitted(neighbour)
        await notifier.publish(sentinel)
        await notifier.wait_for_status(sentinel.event_id, "sent")
        assert (await notifier.delivery_rows(change.event_id))[0]["status"] == "dead"
        sent_to = [str(message["To"]) for message in sink.messages]
        assert not any(new_address in recipient for recipient in sent_to)
        for value in personal:
            assert value not in await everything_stored(notifier)
    finally:
        await sink.stop()


async def test_an_email_in_flight_when_the_account_is_deleted_does_not_bring_its_address_back(
    notifier_factory: NotifierFactory,
) -> None:
    sink = await SmtpSink().start()
    try:
        notifier = await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
        member_id, address = uuid.uuid4(), unique_email("en-vol")

        async def deleted_meanwhile(delivery: Any) -> None:
            # Accepted by the SMTP server, not recorded yet: the account is deleted now.
            await notifier.publish_raw(MEMBER_CONTACT, str(member_id), None)
            await notifier.wait_until(
                lambda row: row["forgotten_at"] is not None, delivery.event_id
            )

        await notifier.start(after_accepted=deleted_meanwhile)
        await notifier.publish(contact_changed(member_id, address))
        event = message_submitted(member_id)
        await notifier.publish(event)

        async def recorded() -> bool:
            metrics = (await notifier.client.get("/metrics")).text
            return 'notifier_emails_sent_total{kind="message_received"} 1.0' in metrics

        await eventually(recorded, timeout=30, message="outcome recorded")
        [row] = await notifier.delivery_rows(event.event_id)
        assert row["recipient"] is None
        assert row["status"] == "dead"
        assert row["last_error"] == ACCOUNT_DELETED_EXPLANATION
        assert address not in await everything_stored(notifier)
    finally:
        await sink.stop()


async def test_an_email_asked_for_before_the_deletion_but_read_after_it_is_never_sent(
    notifier_factory: NotifierFactory,
) -> None:
    sink = await SmtpSink().start()
    try:
        notifier = await (
            await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
        ).start()
        member_id, address = uuid.uuid4(), unique_email("tardive")
        token = f"jeton-{secrets.token_hex(8)}"
        await notifier.publish(contact_changed(member_id, address, given_name="Ombeline"))
        # The reset was asked for just before the account was deleted; its topic is read by
        # another consumer, which is behind: the tombstone is applied first.
        await notifier.publish_raw(MEMBER_CONTACT, str(member_id), None)

        async def forgotten() -> bool:
            async with notifier.engine.connect() as connection:
                return bool(
                    await connection.scalar(
                        select(func.count())
                        .select_from(FORGOTTEN_MEMBERS)
                        .where(FORGOTTEN_MEMBERS.c.member_id == member_id)
                    )
                )

        await eventually(forgotten, timeout=30, message="tombstone applied")
        assert await notifier.contact(member_id) is None
        reset = PasswordResetRequested.new(
            producer="auth",
            member_id=member_id,
            fund="NPC",
            email=address,
            given_name="Ombeline",
            reset_token=token,
            expires_at=datetime.now(UTC) + timedelta(minutes=30),
        )
        thread = reply_posted(member_id)
        await notifier.publish(reset, thread)
        for event in (reset, thread):
            row = await notifier.wait_for_status(event.event_id, "dead")
            assert row["last_error"] == ACCOUNT_DELETED_EXPLANATION
            assert row["recipient"] is None
            assert row["forgotten_at"] is not None
        stored = await everything_stored(notifier)
        for value in (address, "Ombeline", token):
            assert value not in stored

        # Other members' emails go out meanwhile; none went to the deleted member.
        neighbour, neighbour_address = uuid.uuid4(), unique_email("voisin")
        await notifier.publish(contact_changed(neighbour, neighbour_address))
        sentinel = message_submitted(neighbour)
        await notifier.publish(sentinel)
        await notifier.wait_for_status(sentinel.event_id, "sent")
        assert [str(message["To"]) for message in sink.messages] == [
            f"Camille MARTIN <{neighbour_address}>"
        ]
    finally:
        await sink.stop()
