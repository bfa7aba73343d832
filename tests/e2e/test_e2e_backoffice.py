"""The back office beyond the journey: a supervisor writes a canned reply, an agent answers
with it (placeholders filled with the thread's values) and adds an internal note the member
never sees; the thread's emails show in its delivery log."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_reply_from_a_canned_reply_and_an_internal_note(
    browsing, portal, backoffice, accounts, mailbox, shots
):
    paul = accounts.member("Paul")
    member = browsing.new_page()
    portal.open_messages(member, paul)
    portal.to_message_step(member)
    portal.message_box(member).fill(
        "Bonjour, je souhaite une attestation de paiement pour ma banque."
    )
    member.get_by_role("button", name="Valider", exact=True).click()
    member.get_by_role("button", name="Envoyer", exact=True).click()
    heading = member.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(heading).to_be_visible()
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", heading.inner_text()).group(0)

    title = f"Attestation envoyée {secrets.token_hex(3)}"
    supervisor = browsing.new_page()
    backoffice.login(supervisor, accounts.agent("supervisor"))
    supervisor.get_by_role("link", name="Réponses types").click()
    supervisor.get_by_role("button", name="Nouvelle réponse type").click()
    supervisor.get_by_role("textbox", name="Titre").fill(title)
    supervisor.get_by_role("textbox", name="Texte").fill(
        "Bonjour {prenom},\nVotre attestation pour la demande {reference} est disponible.\n{caisse}"
    )
    supervisor.get_by_role("button", name="Enregistrer").click()
    expect(supervisor.get_by_text("Réponse type enregistrée.")).to_be_visible()
    shots(supervisor, "reponse-type-creee")

    agent = browsing.new_page()
    backoffice.login(agent, accounts.agent("agent"))
    agent.get_by_role("combobox", name="Attribution").select_option("unassigned")
    agent.get_by_role("button", name="Filtrer").click()
    agent.get_by_role("link", name=reference).click()
    agent.get_by_role("heading", name=f"Demande {reference}").wait_for()
    agent.get_by_role("combobox", name="Réponse type").select_option(label=title)
    agent.get_by_role("button", name="Insérer").click()
    answer = agent.get_by_role("textbox", name=re.compile("^Votre réponse"))
    expect(answer).to_have_value(
        re.compile(
            rf"^Bonjour Paul,\nVotre attestation pour la demande {reference} est disponible\."
        )
    )
    agent.get_by_role("textbox", name="Nouvelle note").fill("Attestation vérifiée au dossier.")
    agent.get_by_role("button", name="Ajouter la note").click()
    expect(agent.get_by_text("Note ajoutée.")).to_be_visible()
    agent.get_by_role("button", name="Envoyer la réponse").click()
    expect(agent.get_by_text("Votre réponse est envoyée")).to_be_visible()
    expect(agent.get_by_text("Attestation vérifiée au dossier.")).to_be_visible()
    # The delivery log lists the confirmation sent to the member (address masked).
    mailbox.wait_for(
        paul.email,
        lambda m: reference in m.get("text", "") and "réponse est disponible" in m.get("text", ""),
    )
    agent.reload()
    log = agent.locator("#journal-envois")
    expect(log).to_contain_text("Confirmation de réception")
    expect(log).not_to_contain_text(paul.email)
    shots(agent, "reponse-type-note-journal")

    # The member reads the reply, never the note.
    member.goto("/messages")
    member.get_by_role("link", name=reference).click()
    expect(
        member.get_by_text(f"Votre attestation pour la demande {reference} est disponible.")
    ).to_be_visible()
    expect(member.get_by_text("Attestation vérifiée au dossier.")).to_have_count(0)
    shots(member, "reponse-lue-sans-note")
