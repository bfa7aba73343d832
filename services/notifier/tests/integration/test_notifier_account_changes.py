"""Sensitive changes told by email, from the auth event to the mailbox: an email change to the
previous address (« si ce n'est pas vous… »), the deletion notice that the account's
tombstone does not forget, an agent's link to choose their password."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.events.auth import AccountChanged, AgentAccountChanged, AgentPasswordResetRequested
from contracts.topics import MEMBER_CONTACT
from services.notifier.tests.support import NotifierFactory, contact_changed, unique_email

pytestmark = pytest.mark.integration


async def test_an_email_change_is_told_to_the_previous_address(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    previous, new = unique_email("ancienne"), unique_email("nouvelle")
    event = AccountChanged.new(
        producer="auth",
        member_id=uuid.uuid4(),
        fund="NPC",
        email=previous,
        given_name="Camille",
        change="email_changed",
        changed_at=datetime(2026, 12, 4, 15, 5, tzinfo=UTC),
        new_email=new,
    )
    await notifier.publish(event)
    [message] = await mailbox_client.wait_for(to=previous, count=1, timeout=60)
    assert message["subject"] == "L'adresse électronique de votre compte a été modifiée"
    assert "le vendredi 4 décembre 2026 à 16 h 05" in message["text"]
    assert "Si ce n'est pas vous" in message["text"]
    assert "/mot-de-passe/oubli" in message["text"]
    assert new not in message["text"], "the new address is masked"
    assert new not in message["html"]
    assert "List-Unsubscribe" not in message["headers"], "never optional"
    await notifier.wait_for_status(event.event_id, "sent")


async def test_the_deletion_notice_goes_out_though_the_account_is_forgotten(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("partie")
    await notifier.publish(contact_changed(member_id, address, given_name="Ombeline"))
    # The tombstone is read first (another topic, another consumer): the notice still goes.
    await notifier.publish_raw(MEMBER_CONTACT, str(member_id), None)
    farewell = AccountChanged.new(
        producer="auth",
        member_id=member_id,
        fund="NPC",
        email=address,
        given_name="Ombeline",
        change="account_deleted",
        changed_at=datetime.now(UTC),
    )
    await notifier.publish(farewell)
    [message] = await mailbox_client.wait_for(to=address, count=1, timeout=60)
    assert message["subject"] == "Votre compte a été supprimé"
    assert "/inscription" in message["text"]
    await notifier.wait_for_status(farewell.event_id, "sent")


async def test_an_agent_gets_the_link_to_choose_a_password(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    address = unique_email("conseiller")
    token = f"jeton-{uuid.uuid4().hex}"
    event = AgentPasswordResetRequested.new(
        producer="auth",
        agent_id=uuid.uuid4(),
        fund="CNO",
        email=address,
        given_name="Hugo",
        reset_token=token,
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    await notifier.publish(event)
    [message] = await mailbox_client.wait_for(to=address, count=1, timeout=60)
    assert message["subject"] == "Choisissez votre mot de passe du back office"
    assert f"/backoffice/mot-de-passe/nouveau#jeton={token}" in message["text"]
    row = await notifier.wait_for_status(event.event_id, "sent")
    assert token not in str(row["payload"]), "the one-time secret is wiped once sent"


async def test_an_agent_is_told_that_their_password_changed(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    address = unique_email("conseiller")
    event = AgentAccountChanged.new(
        producer="auth",
        agent_id=uuid.uuid4(),
        fund="CNO",
        email=address,
        given_name="Hugo",
        change="password_changed",
        changed_at=datetime.now(UTC),
    )
    await notifier.publish(event)
    [message] = await mailbox_client.wait_for(to=address, count=1, timeout=60)
    assert message["subject"] == "Le mot de passe de votre compte de conseiller a été modifié"
    assert "Si ce n'est pas vous" in message["text"]
    assert "/backoffice/" in message["text"]
    await notifier.wait_for_status(event.event_id, "sent")
