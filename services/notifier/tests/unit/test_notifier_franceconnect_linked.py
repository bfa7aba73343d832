"""The FranceConnect link notice: an account email, in French, saying when and how the
account was linked and what to do if the member did not do it."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.headerregistry import Address
from email.parser import BytesParser

import pytest

from contracts.events.auth import FranceConnectLinked
from notifier.adapters.rendering import EmailRenderer
from notifier.domain.model import DeliveryKind, Recipient, kind_of, message_id
from notifier.domain.preferences import UnsubscribeTokens
from notifier.samples import SAMPLE_MEMBER, SAMPLE_RECIPIENT

pytestmark = pytest.mark.unit

BASE = "https://mes-messages.msa.fr"
LINKED_AT = datetime(2026, 12, 1, 9, 15, tzinfo=UTC)


@pytest.fixture
def renderer() -> EmailRenderer:
    return EmailRenderer(
        public_base_url=BASE + "/",
        sender=Address("MSA — Mes messages et mes réponses", addr_spec="ne-pas-repondre@msa.fr"),
        unsubscribe_tokens=UnsubscribeTokens("a-secret-for-the-rendering-tests-only"),
    )


def linked(confirmed_by: str = "identity", *, given_name: str = "Camille") -> FranceConnectLinked:
    return FranceConnectLinked.new(
        producer="auth",
        member_id=SAMPLE_MEMBER,
        fund="NPC",
        email="camille.martin@example.fr",
        given_name=given_name,
        linked_at=LINKED_AT,
        confirmed_by=confirmed_by,
    )


def test_the_event_is_an_account_email_that_cannot_be_turned_off() -> None:
    kind = kind_of(linked())
    assert kind is DeliveryKind.FRANCECONNECT_LINKED
    assert not kind.about_a_thread


def test_the_notice_says_when_how_and_what_to_do(renderer: EmailRenderer) -> None:
    kind = DeliveryKind.FRANCECONNECT_LINKED
    automatic = renderer.render_parts(kind, linked("identity"), SAMPLE_RECIPIENT)
    assert automatic.subject == "Votre compte a été relié à FranceConnect"
    for part in (automatic.text, automatic.html):
        assert "le mardi 1er décembre 2026 à 10 h 15" in part, "Paris time"
        assert "fait automatiquement" in part
        assert "signalez-le sans attendre à votre MSA" in part
    assert f"{BASE}/mot-de-passe/oubli" in automatic.text
    assert f'href="{BASE}/mot-de-passe/oubli"' in automatic.html

    confirmed = renderer.render_parts(kind, linked("password"), SAMPLE_RECIPIENT)
    assert "confirmé avec votre numéro de sécurité sociale et votre mot de passe" in confirmed.text
    assert "fait automatiquement" not in confirmed.text


def test_the_notice_goes_to_the_accounts_address_without_unsubscribe_headers(
    renderer: EmailRenderer,
) -> None:
    event = linked(given_name="<b>Camille</b>")
    kind = kind_of(event)
    recipient = Recipient(event.email, event.given_name, "MARTIN")
    message = renderer.render(
        kind=kind,
        event=event,
        recipient=recipient,
        message_id=message_id(event.event_id, kind, "msa.fr"),
        now=LINKED_AT,
    )
    parsed = BytesParser(policy=email.policy.default).parsebytes(message.data)
    assert [address.addr_spec for address in parsed["To"].addresses] == [event.email]
    assert "List-Unsubscribe" not in parsed
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None
    assert "&lt;b&gt;Camille&lt;/b&gt;" in html.get_content()
