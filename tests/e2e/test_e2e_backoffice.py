"""The back office beyond the journey: a supervisor writes a canned reply, an agent answers
with it (placeholders filled with the thread's values) and adds an internal note the member
never sees; the thread's emails show in its delivery log. Routing by skill: the queue's
« Mes compétences » / « Toutes » filter, and a thread taken outside one's skills."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

THEME_FAMILLE = "Famille, Allocations familiales, aides au logement"


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
    backoffice.open_thread(agent, reference)
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


def test_routing_by_skill_for_an_agent_without_skills(
    browsing, portal, backoffice, accounts, shots, axe_check
):
    """The admin of the demo has no skill: her queue opens on « Toutes » and « Mes
    compétences » says why it is empty; she takes a « famille » thread all the same, is told
    it is outside her skills, and the thread then shows in her « Mes compétences »."""
    paul = accounts.member("Paul")
    admin = accounts.agent("admin")
    admin_name = f"{admin.given_name} {admin.family_name}"
    member = browsing.new_page()
    portal.open_messages(member, paul)
    portal.to_message_step(member)
    portal.message_box(member).fill("Bonjour, ma fille entre au lycée en septembre, que faire ?")
    member.get_by_role("button", name="Valider", exact=True).click()
    member.get_by_role("button", name="Envoyer", exact=True).click()
    heading = member.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(heading).to_be_visible()
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", heading.inner_text()).group(0)

    nadia = browsing.new_page()
    backoffice.login(nadia, admin)
    skills = nadia.get_by_role("combobox", name="Compétences")
    expect(skills).to_have_value("all")
    skills.select_option(label="Mes compétences")
    nadia.get_by_role("button", name="Filtrer").click()
    nadia.wait_for_url("**/backoffice/?competences=miennes")
    expect(nadia.get_by_text("Votre compte n'a aucune compétence")).to_be_visible()
    shots(nadia, "file-sans-competence")
    # The new thread is not among hers: her search, narrowed to « Mes compétences », says so.
    backoffice.search(nadia, reference)
    expect(skills).to_have_value("all")
    skills.select_option(label="Mes compétences")
    nadia.get_by_role("button", name="Filtrer").click()
    nadia.wait_for_url(f"**/backoffice/?reference={reference}&competences=miennes")
    expect(nadia.locator("#resultat-recherche")).to_contain_text(
        "Aucune demande ne porte cette référence parmi celles que retiennent vos filtres."
    )
    expect(nadia.locator(f"tr[data-reference='{reference}']")).to_have_count(0)
    shots(nadia, "recherche-hors-de-ses-competences")
    nadia.get_by_role("link", name="Chercher dans toutes les demandes de votre caisse").click()
    nadia.wait_for_url(f"**/backoffice/?reference={reference}")
    found = nadia.locator(f"tr[data-reference='{reference}']")
    found.get_by_role("link", name=reference).click()
    nadia.get_by_role("heading", name=f"Demande {reference}").wait_for()
    skill_line = nadia.get_by_role("listitem").filter(has_text=re.compile("^Compétence"))
    expect(skill_line).to_contain_text(f"{THEME_FAMILLE} (hors de vos compétences)")
    nadia.get_by_role("button", name="Prendre en charge").click()
    expect(nadia.get_by_text("Vous avez pris en charge cette demande.")).to_be_visible()
    expect(
        nadia.get_by_text(
            f"Cette demande relève de la compétence « {THEME_FAMILLE} », qui ne fait pas "
            "partie des vôtres."
        )
    ).to_be_visible()
    shots(nadia, "prise-en-charge-hors-competence")
    axe_check(nadia, "a thread taken outside one's skills")

    nadia.get_by_role("link", name="Retour à la file").click()
    nadia.wait_for_url("**/backoffice/")
    expect(skills).to_have_value("all")
    # Now hers: her « Mes compétences » holds it (found by its reference however long it is).
    nadia.goto(f"/backoffice/?reference={reference}&competences=miennes")
    row = nadia.locator(f"tr[data-reference='{reference}']")
    expect(row).to_contain_text(THEME_FAMILLE)
    expect(row).to_contain_text(admin_name)
    shots(nadia, "file-prise-hors-competence")
    axe_check(nadia, "the queue under « Mes compétences »")
    # Leave the demo queue as it was.
    row.get_by_role("link", name=reference).click()
    nadia.get_by_role("button", name="Clore la demande").click()
    expect(nadia.get_by_text("La demande est close.")).to_be_visible()
