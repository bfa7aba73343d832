"""Each event produces its email, through the real broker, database and SMTP server."""

from __future__ import annotations

import email.utils
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.events.common import CatalogNode
from notifier.domain.model import DeliveryKind
from services.notifier.tests.support import (
    NotifierFactory,
    account_events,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)

pytestmark = pytest.mark.integration

SCRIPT_NAME = "<script>alert('nom')</script>Camille"
MARKUP_MOTIF = CatalogNode(code="autre", label="Aides & <b>logement</b>")


def by_message_id(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {message["message_id"].strip(): message for message in messages}


async def test_every_event_kind_produces_its_email_in_html_and_text(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("camille")
    thread_id = uuid.uuid4()
    first = message_submitted(member_id, thread_id=thread_id, motif=MARKUP_MOTIF)
    follow_up = message_submitted(member_id, thread_id=thread_id, follow_up=True)
    reply = reply_posted(member_id, thread_id=thread_id)
    activation, reset, locked, email_change = account_events(
        member_id, address, given_name=SCRIPT_NAME
    )
    await notifier.publish(contact_changed(member_id, address, given_name=SCRIPT_NAME))
    await notifier.publish(first, follow_up, reply, activation, reset, locked, email_change)

    messages = by_message_id(await mailbox_client.wait_for(to=address, count=7, timeout=60))
    assert len(messages) == 7, "one email per event, no more"
    domain = notifier.settings.message_id_domain
    expected_kinds = {
        first.event_id: DeliveryKind.MESSAGE_RECEIVED,
        follow_up.event_id: DeliveryKind.FOLLOW_UP_RECEIVED,
        reply.event_id: DeliveryKind.REPLY_AVAILABLE,
        activation.event_id: DeliveryKind.ACTIVATION_CODE,
        reset.event_id: DeliveryKind.PASSWORD_RESET,
        locked.event_id: DeliveryKind.ACCOUNT_LOCKED,
        email_change.event_id: DeliveryKind.EMAIL_CHANGE_CODE,
    }
    by_kind = {}
    for event_id, kind in expected_kinds.items():
        message_id = f"<{event_id}.{kind.value}@{domain}>"
        assert message_id in messages, f"no email {kind} with Message-ID {message_id}"
        by_kind[kind] = messages[message_id]

    base = notifier.settings.public_base_url
    thread_url = f"{base}/messages/{thread_id}"
    for kind, message in by_kind.items():
        headers = message["headers"]
        assert message["text"], f"{kind}: a text part"
        assert message["html"], f"{kind}: an HTML part"
        assert "multipart/alternative" in headers["Content-Type"]
        sent = email.utils.parsedate_to_datetime(headers["Date"])
        assert abs(datetime.now(UTC) - sent) < timedelta(minutes=5), f"{kind}: a correct Date"
        assert "MSA Nord-Pas de Calais" in message["html"], f"{kind}: branded with the fund"
        assert "https://nord-pasdecalais.msa.fr" in message["text"]
        assert '<html lang="fr">' in message["html"]
        # A name with markup is text in the HTML part, never markup.
        assert "<script>" not in message["html"]
        if kind.about_a_thread:
            one_click = re.fullmatch(
                rf"<{re.escape(base)}/api/notifier/unsubscribe\?token=([\w.-]+)>",
                headers["List-Unsubscribe"],
            )
            assert one_click, headers["List-Unsubscribe"]
            assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            page = f"{base}/desabonnement#jeton={one_click.group(1)}"
            assert f"Ne plus recevoir ces courriels : {page}" in message["text"]
            assert f'href="{page}"' in message["html"]
            assert first.reference in message["subject"]
            assert thread_url in message["text"]
            assert thread_url in message["html"]
        else:
            assert "List-Unsubscribe" not in headers, f"{kind}: account emails cannot be opted out"
            assert "&lt;script&gt;alert(" in message["html"]
            assert SCRIPT_NAME in message["text"], "the text part shows the name as written"

    confirmation = by_kind[DeliveryKind.MESSAGE_RECEIVED]
    assert confirmation["subject"].startswith("Votre message a bien été reçu")
    assert "jeudi 10 décembre 2026" in confirmation["text"], "the expected answer date"
    assert "Motif : Aides & <b>logement</b>" in confirmation["text"]
    assert "Aides &amp; &lt;b&gt;logement&lt;/b&gt;" in confirmation["html"]
    assert "Famille, Allocations familiales, aides au logement" in confirmation["text"]
    assert "mardi 1er décembre 2026 à 10 h 15" in confirmation["text"], "Paris time"
    assert "&lt;script&gt;" in confirmation["html"], "the contact's given name, escaped"

    follow = by_kind[DeliveryKind.FOLLOW_UP_RECEIVED]
    assert follow["subject"].startswith("Votre nouveau message a bien été reçu")
    assert "nouveau message que vous avez ajouté" in follow["text"]

    available = by_kind[DeliveryKind.REPLY_AVAILABLE]
    assert "une réponse est disponible dans votre espace privé" in available["text"]
    assert f"Mes messages et mes réponses : {thread_url}" in available["text"]
    assert f'href="{thread_url}"' in available["html"]
    assert ">Mes messages et mes réponses</a>" in available["html"]

    assert "482913" in by_kind[DeliveryKind.ACTIVATION_CODE]["text"]
    assert f"{base}/inscription/activation" in by_kind[DeliveryKind.ACTIVATION_CODE]["text"]
    reset_link = f"{base}/mot-de-passe/nouveau#jeton=jeton-de-test-0123"
    assert reset_link in by_kind[DeliveryKind.PASSWORD_RESET]["text"]
    assert f'href="{reset_link}"' in by_kind[DeliveryKind.PASSWORD_RESET]["html"]
    assert "bloqué" in by_kind[DeliveryKind.ACCOUNT_LOCKED]["subject"]
    assert f"{base}/mot-de-passe/oubli" in by_kind[DeliveryKind.ACCOUNT_LOCKED]["text"]
    assert "730114" in by_kind[DeliveryKind.EMAIL_CHANGE_CODE]["text"]
    assert f"{base}/compte" in by_kind[DeliveryKind.EMAIL_CHANGE_CODE]["text"]

    # Once sent, the one-time secrets no longer sit in the delivery log.
    row = await notifier.wait_for_status(reset.event_id, "sent")
    assert "reset_token" not in row["payload"]
