"""Rendering emails from events: French, escaped, branded, with the right headers."""

from __future__ import annotations

import email.policy
import uuid
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import Path

import pytest

from contracts.events.common import CatalogNode
from notifier.adapters.rendering import TEMPLATES, EmailRenderer
from notifier.domain.errors import PermanentFailure, TemplateFailure
from notifier.domain.model import DeliveryKind, Recipient, message_id
from notifier.domain.preferences import UnsubscribeTokens
from notifier.samples import SAMPLE_MEMBER, SAMPLE_RECIPIENT, SAMPLE_THREAD, sample_events
from servicekit.clock import date_fr, datetime_fr

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


SENDER = Address("MSA — Mes messages et mes réponses", addr_spec="ne-pas-repondre@msa.fr")
TOKENS = UnsubscribeTokens("a-secret-for-the-rendering-tests-only")


@pytest.fixture
def renderer() -> EmailRenderer:
    return EmailRenderer(
        public_base_url="https://mes-messages.msa.fr/", sender=SENDER, unsubscribe_tokens=TOKENS
    )


def test_every_kind_has_its_three_templates() -> None:
    for kind in DeliveryKind:
        for suffix in ("subject.j2", "txt.j2", "html.j2"):
            assert (TEMPLATES / f"{kind.value}.{suffix}").is_file(), f"{kind.value}.{suffix}"


def test_every_kind_renders_as_text_and_html_alternatives(renderer: EmailRenderer) -> None:
    for kind, event in sample_events().items():
        message = renderer.render(
            kind=kind,
            event=event,
            recipient=SAMPLE_RECIPIENT,
            message_id=message_id(event.event_id, kind, "msa.fr"),
            now=NOW,
        )
        parsed = BytesParser(policy=email.policy.default).parsebytes(message.data)
        assert parsed.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in parsed.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert parsed["Message-ID"].strip() == f"<{event.event_id}.{kind.value}@msa.fr>"
        assert parsed["Date"].datetime == NOW
        assert parsed["Content-Language"] == "fr"
        assert parsed["Auto-Submitted"] == "auto-generated"
        assert parsed["To"].addresses[0].addr_spec == SAMPLE_RECIPIENT.email
        assert ("List-Unsubscribe" in parsed) is kind.about_a_thread
        assert ("List-Unsubscribe-Post" in parsed) is kind.about_a_thread


def test_thread_emails_carry_one_click_unsubscribe_and_a_footer_link(
    renderer: EmailRenderer,
) -> None:
    token = TOKENS.issue(SAMPLE_MEMBER)
    one_click = f"https://mes-messages.msa.fr/api/notifier/unsubscribe?token={token}"
    page = f"https://mes-messages.msa.fr/desabonnement#jeton={token}"
    preferences = "https://mes-messages.msa.fr/compte#notifications"
    for kind, event in sample_events().items():
        message = renderer.render(
            kind=kind, event=event, recipient=SAMPLE_RECIPIENT, message_id="<x@msa.fr>", now=NOW
        )
        parsed = BytesParser(policy=email.policy.default).parsebytes(message.data)
        parts = renderer.render_parts(kind, event, SAMPLE_RECIPIENT)
        if not kind.about_a_thread:
            # Account-security emails cannot be turned off, and do not pretend they can.
            assert "List-Unsubscribe" not in parsed
            assert "désabonnement" not in parts.text
            assert "Ne plus recevoir" not in parts.html
            continue
        assert parsed["List-Unsubscribe"] == f"<{one_click}>"
        assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"Ne plus recevoir ces courriels : {page}" in parts.text
        assert f'<a href="{page}" style="color:#000091;">Ne plus recevoir ces courriels</a>' in (
            parts.html
        )
        assert preferences in parts.text
        assert f'href="{preferences}"' in parts.html
        assert TOKENS.verify(token) == SAMPLE_MEMBER


def test_the_reply_email_says_a_reply_is_available_with_a_link_to_the_thread(
    renderer: EmailRenderer,
) -> None:
    event = sample_events()[DeliveryKind.REPLY_AVAILABLE]
    parts = renderer.render_parts(DeliveryKind.REPLY_AVAILABLE, event, SAMPLE_RECIPIENT)
    thread_url = f"https://mes-messages.msa.fr/messages/{SAMPLE_THREAD}"
    assert "une réponse est disponible dans votre espace privé" in parts.text
    assert f"Mes messages et mes réponses : {thread_url}" in parts.text
    assert f'<a href="{thread_url}"' in parts.html
    assert parts.subject == (
        "Une réponse est disponible dans votre espace privé – demande NPC-2026-000123"
    )


def test_the_confirmation_gives_reference_choices_and_expected_answer_date(
    renderer: EmailRenderer,
) -> None:
    event = sample_events()[DeliveryKind.MESSAGE_RECEIVED]
    parts = renderer.render_parts(DeliveryKind.MESSAGE_RECEIVED, event, SAMPLE_RECIPIENT)
    for expected in (
        "Référence : NPC-2026-000123",
        "Thème : Famille, Allocations familiales, aides au logement",
        "Sujet : Allocations familiales",
        "Motif : Mon changement de situation",
        "au plus tard le jeudi 10 décembre 2026",
        "Bonjour Camille,",
    ):
        assert expected in parts.text


def test_markup_from_people_is_escaped_in_html_and_kept_as_text(renderer: EmailRenderer) -> None:
    events = sample_events()
    event = events[DeliveryKind.MESSAGE_RECEIVED].model_copy(
        update={"motif": CatalogNode(code="x", label='Aides & <img src=x onerror="alert(1)">')}
    )
    recipient = Recipient("a@example.fr", "<script>alert(1)</script>", "O'Brien")
    parts = renderer.render_parts(DeliveryKind.MESSAGE_RECEIVED, event, recipient)
    assert "<script>" not in parts.html
    assert "<img" not in parts.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in parts.html
    assert "Aides &amp; &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in parts.html
    assert "Bonjour <script>alert(1)</script>," in parts.text


def test_a_name_cannot_inject_headers(renderer: EmailRenderer) -> None:
    event = sample_events()[DeliveryKind.MESSAGE_RECEIVED]
    recipient = Recipient("a@example.fr", "Camille\r\nBcc: victim@example.fr", "MARTIN")
    message = renderer.render(
        kind=DeliveryKind.MESSAGE_RECEIVED,
        event=event,
        recipient=recipient,
        message_id="<x@msa.fr>",
        now=NOW,
    )
    parsed = BytesParser(policy=email.policy.default).parsebytes(message.data)
    assert "Bcc" not in parsed
    assert [address.addr_spec for address in parsed["To"].addresses] == ["a@example.fr"]


def test_the_emails_carry_the_branding_of_the_members_fund(renderer: EmailRenderer) -> None:
    event = sample_events(fund="COR")[DeliveryKind.ACCOUNT_LOCKED]
    parts = renderer.render_parts(DeliveryKind.ACCOUNT_LOCKED, event, SAMPLE_RECIPIENT)
    assert "MSA de la Corse" in parts.html
    assert "https://corse.msa.fr" in parts.text


def test_a_broken_template_is_a_template_failure_not_a_crash(tmp_path: Path) -> None:
    for path in TEMPLATES.iterdir():
        (tmp_path / path.name).write_text(path.read_text("utf-8"), "utf-8")
    (tmp_path / "account_locked.html.j2").write_text("{{ missing_variable.attribute }}", "utf-8")
    broken = EmailRenderer(
        public_base_url="https://x", sender=SENDER, unsubscribe_tokens=TOKENS, templates=tmp_path
    )
    event = sample_events()[DeliveryKind.ACCOUNT_LOCKED]
    with pytest.raises(TemplateFailure, match="account_locked"):
        broken.render_parts(DeliveryKind.ACCOUNT_LOCKED, event, SAMPLE_RECIPIENT)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 1, 9, 15, tzinfo=UTC), "mardi 1er décembre 2026 à 10 h 15"),
        (datetime(2026, 7, 14, 22, 5, tzinfo=UTC), "mercredi 15 juillet 2026 à 0 h 05"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "dimanche 29 mars 2026 à 3 h 30"),
    ],
)
def test_dates_are_french_and_in_paris_time(moment: datetime, expected: str) -> None:
    assert datetime_fr(moment) == expected


def test_a_date_alone_is_written_out() -> None:
    assert date_fr(date(2026, 12, 10)) == "jeudi 10 décembre 2026"
    assert date_fr(date(2026, 8, 1)) == "samedi 1er août 2026"


def test_the_message_id_is_the_same_for_every_attempt() -> None:
    event_id = uuid.uuid4()
    first = message_id(event_id, DeliveryKind.REPLY_AVAILABLE, "msa.fr")
    assert first == message_id(event_id, DeliveryKind.REPLY_AVAILABLE, "msa.fr")
    assert first != message_id(event_id, DeliveryKind.MESSAGE_RECEIVED, "msa.fr")


@pytest.mark.parametrize(
    ("given_name", "family_name"),
    [
        ("Marie-Ange", "SANTONI"),
        ("Hélène", "DURAND-LEROY"),
        ("Zoé Chloé", "ÇÀ <b>"),
        ("Marie-Ange Élodie Françoise Hélène Bénédicte Zoé Chloé Agnès Anaïs", "NOËL-LEFÈVRE"),
    ],
)
def test_accented_names_and_subjects_survive_the_headers(
    renderer: EmailRenderer, given_name: str, family_name: str
) -> None:
    event = sample_events()[DeliveryKind.REPLY_AVAILABLE]
    recipient = Recipient("marie-ange@example.fr", given_name, family_name)
    message = renderer.render(
        kind=DeliveryKind.REPLY_AVAILABLE,
        event=event,
        recipient=recipient,
        message_id="<x@msa.fr>",
        now=NOW,
    )
    assert all(len(line) <= 998 for line in message.data.split(b"\r\n"))
    parsed = BytesParser(policy=email.policy.compat32).parsebytes(message.data)
    # Decoded as RFC 2047 says: the whitespace between two encoded words is not text.
    to = str(make_header(decode_header(parsed["To"])))
    assert to.endswith(" <marie-ange@example.fr>")
    assert to.removesuffix(" <marie-ange@example.fr>").strip('"') == f"{given_name} {family_name}"
    assert str(make_header(decode_header(parsed["Subject"]))) == message.subject
    assert "é" in message.subject
    sender = str(make_header(decode_header(parsed["From"])))
    assert sender == "MSA — Mes messages et mes réponses <ne-pas-repondre@msa.fr>"
    modern = BytesParser(policy=email.policy.default).parsebytes(message.data)
    text = modern.get_body(preferencelist=("plain",))
    assert text is not None
    assert "une réponse est disponible dans votre espace privé" in text.get_content()


@pytest.mark.parametrize(
    "address", ["a@example..fr", ".a@example.fr", "zoé@example.fr", "a b@x.fr"]
)
def test_an_address_no_header_can_carry_is_a_permanent_failure(
    renderer: EmailRenderer, address: str
) -> None:
    event = sample_events()[DeliveryKind.REPLY_AVAILABLE]
    with pytest.raises(PermanentFailure, match="Adresse du destinataire invalide"):
        renderer.render(
            kind=DeliveryKind.REPLY_AVAILABLE,
            event=event,
            recipient=Recipient(address, "Camille", "MARTIN"),
            message_id="<x@msa.fr>",
            now=NOW,
        )
