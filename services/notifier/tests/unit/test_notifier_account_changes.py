"""The emails of sensitive changes: what each says, and that they are account emails."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address

import pytest

from contracts.events.auth import AccountChange, AccountChanged
from notifier.adapters.rendering import EmailRenderer
from notifier.domain.model import DeliveryKind, kind_of
from notifier.domain.preferences import UnsubscribeTokens
from notifier.samples import SAMPLE_MEMBER, SAMPLE_RECIPIENT, sample_events

pytestmark = pytest.mark.unit

BASE = "https://mes-messages.msa.fr"


@pytest.fixture
def renderer() -> EmailRenderer:
    return EmailRenderer(
        public_base_url=BASE + "/",
        sender=Address("MSA — Mes messages et mes réponses", addr_spec="ne-pas-repondre@msa.fr"),
        unsubscribe_tokens=UnsubscribeTokens("a-secret-for-the-rendering-tests-only"),
    )


def changed(change: AccountChange, new_email: str | None = None) -> AccountChanged:
    return AccountChanged.new(
        producer="auth",
        member_id=SAMPLE_MEMBER,
        fund="NPC",
        email="camille.martin@example.fr",
        given_name="Camille",
        change=change,
        changed_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC),
        new_email=new_email,
    )


@pytest.mark.parametrize(
    ("change", "subject"),
    [
        ("email_changed", "L'adresse électronique de votre compte a été modifiée"),
        ("password_changed", "Le mot de passe de votre compte a été modifié"),
        ("password_reset", "Le mot de passe de votre compte a été réinitialisé"),
        ("account_deleted", "Votre compte a été supprimé"),
        ("franceconnect_unlinked", "Votre compte n'est plus relié à FranceConnect"),
    ],
)
def test_each_change_says_what_when_and_what_to_do_if_it_was_not_you(
    renderer: EmailRenderer, change: AccountChange, subject: str
) -> None:
    event = changed(change, "camille.nouvelle@example.fr" if change == "email_changed" else None)
    assert kind_of(event) is DeliveryKind.ACCOUNT_CHANGED
    assert not DeliveryKind.ACCOUNT_CHANGED.about_a_thread, "never turned off"
    parts = renderer.render_parts(DeliveryKind.ACCOUNT_CHANGED, event, SAMPLE_RECIPIENT)
    assert parts.subject == subject
    for part in (parts.text, parts.html):
        assert "le mardi 1er décembre 2026 à 10 h 15" in part
        assert "Si ce n'est pas vous" in part
        assert "camille.nouvelle@example.fr" not in part
    if change == "email_changed":
        assert "c**************e@example.fr" in parts.text


def test_an_agents_link_goes_to_the_back_office(renderer: EmailRenderer) -> None:
    event = sample_events()[DeliveryKind.AGENT_PASSWORD_RESET]
    parts = renderer.render_parts(DeliveryKind.AGENT_PASSWORD_RESET, event, SAMPLE_RECIPIENT)
    assert f"{BASE}/backoffice/mot-de-passe/nouveau#jeton=" in parts.text
    assert "Personne d'autre que vous" in parts.text


@pytest.mark.parametrize(
    ("change", "subject"),
    [
        ("password_changed", "Le mot de passe de votre compte de conseiller a été modifié"),
        (
            "password_reset",
            "Le mot de passe de votre compte de conseiller a été choisi avec un lien",
        ),
    ],
)
def test_an_agent_is_told_of_their_own_password_change(
    renderer: EmailRenderer, change: str, subject: str
) -> None:
    sample = sample_events()[DeliveryKind.AGENT_ACCOUNT_CHANGED]
    event = sample.model_copy(update={"change": change})
    assert kind_of(event) is DeliveryKind.AGENT_ACCOUNT_CHANGED
    assert not DeliveryKind.AGENT_ACCOUNT_CHANGED.about_a_thread, "never turned off"
    parts = renderer.render_parts(DeliveryKind.AGENT_ACCOUNT_CHANGED, event, SAMPLE_RECIPIENT)
    assert parts.subject == subject
    for part in (parts.text, parts.html):
        assert "Si ce n'est pas vous" in part
        assert "votre responsable" in part
        assert f"{BASE}/backoffice/" in part
        assert "mot-de-passe/nouveau" not in part, "no link that acts"
