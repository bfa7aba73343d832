"""The seed's journey, end to end: a person of the registry creates their space with the code
of the letter sent to them, writes through the six steps, gets the confirmation email, an
agent answers from the back office, the reply-available email's link brings the member back
to the thread after login, and the unread badge disappears."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.enrolment import register_in_the_portal

pytestmark = pytest.mark.e2e

THEMES = [
    "Santé, Carte Vitale, remboursements, CMU, invalidité...",
    "Famille, Allocations familiales, aides au logement",
    "RSA, Prime d'activité, Aides aux personnes handicapées",
    "Retraite, carrière, réversion",
    "Cotisations Exploitants, parcellaire, affiliation, facture",
]
FAMILY_SUBJECTS = [
    'Mes paiements, mes décomptes "famille"',
    'Mes attestations "famille"',
    "Allocations familiales",
    "Aides au logement",
    "Aides Sociales (secours, prêts...)",
]
AF_MOTIFS = [
    "Mes paiements, mes décomptes",
    "Mon attestation de paiement/non paiement Famille",
    "Mon attestation fiscale Famille",
    "Demande de quotient familial",
    "Mon dossier Famille",
    "Ma déclaration de ressources",
    "Mon changement de situation",
    "Autre",
]
TEXT = (
    "Bonjour, Rédaction d'une question via le service en ligne Mes Messages et Mes Réponses. "
    "Nous avons déménagé le mois dernier : à quelle date nos allocations tiendront-elles compte "
    "de la nouvelle adresse ? Cordialement"
)
REPLY = (
    "Bonjour Camille, votre nouvelle adresse est enregistrée depuis le 1er du mois. Cordialement."
)


def test_seed_journey_from_login_to_reading_the_reply(
    browsing, portal, backoffice, accounts, letters, mailbox, shots, axe_check, focus_of, e2e_stack
):
    # 0. A person the fund covers creates their space: the registry knows them, the
    # activation code comes by post.
    member = register_in_the_portal(browsing.new_page(), letters.newcomer(), letters)
    page = browsing.new_page()

    # 1. Login with the NIR (13 characters, spaces allowed) and the password.
    page.goto("/")
    shots(page, "accueil")
    axe_check(page, "home")
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_role("heading", name="Se connecter à mon espace privé").wait_for()
    expect(page.get_by_role("button", name="S’identifier avec FranceConnect")).to_be_visible()
    expect(page.get_by_role("link", name="Qu’est-ce que FranceConnect ?")).to_be_visible()
    shots(page, "connexion")
    axe_check(page, "login")
    portal.login(page, member)

    # 2. "Contact & échanges" → "Mes messages" → "Écrire un nouveau message".
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    expect(page.locator(".fr-header__service-tagline")).to_have_text("MSA Nord-Pas de Calais")
    page.goto("/")
    page.get_by_role("button", name="Contact & échanges").click()
    page.get_by_role("link", name="Mes messages", exact=True).click()
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    shots(page, "mes-messages")
    axe_check(page, "the member's threads")
    page.get_by_role("link", name="Écrire un nouveau message").click()

    # Step 1: "Mon message concerne ..." / "Mon dossier :", the five themes, Annuler, Valider.
    portal.step_heading(page, "Mon message concerne ...")
    expect(page.get_by_role("heading", name="Envoyer un message", level=1)).to_be_visible()
    expect(page.get_by_role("radiogroup", name="Mon dossier :")).to_be_visible()
    assert (
        page.get_by_role("radio").evaluate_all("els => els.map(e => e.labels[0].textContent)")
        == THEMES
    )
    expect(page.get_by_role("button", name="Annuler")).to_be_visible()
    shots(page, "etape-1-theme")
    axe_check(page, "step 1")
    portal.choose_and_validate(page, THEMES[1])

    # Step 2: "Sujet", recalling the theme with "Modifier"; focus on the step's heading.
    portal.step_heading(page, "Sujet")
    assert "Sujet" in focus_of(page)
    expect(
        page.get_by_text(
            "Mon message concerne\u00a0: Famille, Allocations familiales, aides au logement"
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Modifier ce que concerne mon message")).to_be_visible()
    assert (
        page.get_by_role("radio").evaluate_all("els => els.map(e => e.labels[0].textContent)")
        == FAMILY_SUBJECTS
    )
    shots(page, "etape-2-sujet")
    axe_check(page, "step 2")
    portal.choose_and_validate(page, "Allocations familiales")

    # Step 3: "Motif" as radio buttons.
    portal.step_heading(page, "Motif")
    assert "Motif" in focus_of(page)
    expect(page.get_by_text("Sujet\u00a0: Allocations familiales")).to_be_visible()
    assert (
        page.get_by_role("radio").evaluate_all("els => els.map(e => e.labels[0].textContent)")
        == AF_MOTIFS
    )
    shots(page, "etape-3-motif")
    axe_check(page, "step 3")
    portal.choose_and_validate(page, "Mon changement de situation")

    # Step 4: the online service's dialog; closing it goes on to the message.
    dialog = page.get_by_role("dialog", name="Déclarer un changement de situation")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("link", name="J'utilise le service en ligne")).to_be_visible()
    shots(page, "etape-4-service-en-ligne")
    axe_check(page, "step 4 dialog")
    dialog.get_by_role("button", name="Fermer", exact=True).click()

    # Step 5: "Mon message", the notice, the placeholder, the live counter.
    portal.step_heading(page, "Mon message")
    assert "Mon message" in focus_of(page)
    expect(
        page.get_by_text("Service en ligne\u00a0: Déclarer un changement de situation")
    ).to_be_visible()
    expect(
        page.get_by_text(
            "Attention : nous vous conseillons de ne pas communiquer d'information relative à des données médicales."
        )
    ).to_be_visible()
    box = portal.message_box(page)
    expect(box).to_have_attribute(
        "placeholder", "Écrivez ici votre message (minimum 10 caractères)..."
    )
    counter = page.locator("#message-compteur")
    expect(counter).to_have_text("750 caractères restants.")
    box.fill(TEXT)
    remaining = 750 - len(TEXT)
    expect(counter).to_have_text(f"{remaining} caractères restants.")
    # The same sentence reaches screen readers through a polite live region.
    expect(page.get_by_test_id("compteur-annonce")).to_have_text(
        f"{remaining} caractères restants."
    )
    shots(page, "etape-5-message")
    axe_check(page, "step 5")
    page.get_by_role("button", name="Valider", exact=True).click()

    # Step 6: the recap, Annuler / Précédent / Envoyer.
    portal.step_heading(page, "Récapitulatif de ma demande")
    assert "Récapitulatif de ma demande" in focus_of(page)
    recap = page.locator("#recapitulatif")
    expect(page.get_by_text("Ma demande\u00a0:")).to_be_visible()
    expect(recap).to_contain_text("Thème\u00a0: Famille, Allocations familiales, aides au logement")
    expect(recap).to_contain_text("Sujet\u00a0: Allocations familiales")
    expect(recap).to_contain_text("Motif\u00a0: Mon changement de situation")
    expect(page.locator("#recapitulatif-message")).to_have_text(TEXT)
    for label in ("Annuler", "Précédent", "Envoyer"):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    shots(page, "etape-6-recapitulatif")
    axe_check(page, "step 6")
    page.get_by_role("button", name="Envoyer", exact=True).click()

    # The confirmation: the reference and the expected answer date.
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(confirmation).to_be_visible()
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", confirmation.inner_text()).group(0)
    assert reference.startswith("NPC-")
    expect(
        page.get_by_text(
            re.compile(r"Votre MSA vous répondra au plus tard le \S+ \d{1,2} \S+ \d{4}")
        )
    ).to_be_visible()
    shots(page, "confirmation")
    axe_check(page, "confirmation")

    # Step 7: the confirmation email, with the reference.
    confirmation_mail = mailbox.wait_for(
        member.email, lambda m: reference in (m.get("subject", "") + m.get("text", ""))
    )
    assert TEXT not in confirmation_mail["text"], "an email must never quote the message"

    # An agent of the fund finds the thread by its reference and replies.
    agent_page = browsing.new_page()
    backoffice.login(agent_page, accounts.agent("agent"))
    shots(agent_page, "back-office-file")
    axe_check(agent_page, "back office queue")
    backoffice.find(agent_page, reference)
    shots(agent_page, "back-office-recherche-reference")
    axe_check(agent_page, "back office search by reference")
    backoffice.open_thread(agent_page, reference)
    expect(agent_page.get_by_text(TEXT)).to_be_visible()
    axe_check(agent_page, "back office thread")
    agent_page.get_by_role("button", name="Prendre en charge").click()
    expect(agent_page.get_by_text("Vous avez pris en charge cette demande.")).to_be_visible()
    agent_page.get_by_role("textbox", name=re.compile("^Votre réponse")).fill(REPLY)
    agent_page.get_by_role("button", name="Envoyer la réponse").click()
    expect(agent_page.get_by_text("Votre réponse est envoyée")).to_be_visible()
    shots(agent_page, "back-office-reponse")

    # The unread badge shows in the member's list.
    page.goto("/messages")
    row = page.locator(f"tr[data-reference='{reference}']")
    expect(row.get_by_text("Nouvelle réponse")).to_be_visible()
    shots(page, "badge-non-lu")

    # Step 8: the reply-available email, with its link to the thread.
    reply_mail = mailbox.wait_for(
        member.email,
        lambda m: reference in m.get("text", "") and "réponse est disponible" in m.get("text", ""),
    )
    assert REPLY not in reply_mail["text"]
    # The link names the gateway the member uses (the services' PUBLIC_BASE_URL): the local
    # stack's, or the one E2E_GATEWAY_URL names (the images' gateway container, on any port).
    thread_link = re.escape(e2e_stack.base_url) + r"/messages/[0-9a-f-]{36}"
    link = re.search(thread_link, reply_mail["text"]).group(0)

    # The member follows the link in a fresh browser: login first, then the thread itself.
    reader = browsing.new_page()
    reader.goto(link)
    reader.wait_for_url("**/connexion?retour=*")
    shots(reader, "lien-du-courriel-connexion")
    portal.login(reader, member)
    reader.wait_for_url(link)
    reader.get_by_role("heading", name=f"Demande {reference}").wait_for()
    expect(reader.get_by_text(REPLY)).to_be_visible()
    expect(reader.get_by_text("Réponse de votre MSA", exact=False)).to_be_visible()
    expect(reader.locator("#derniere-consultation")).not_to_contain_text("pas encore consultée")
    shots(reader, "reponse-lue")
    axe_check(reader, "the thread")
    reader.get_by_role("navigation", name="vous êtes ici :").get_by_role(
        "link", name="Mes messages"
    ).click()
    reader.get_by_role("heading", name="Mes messages", level=1).wait_for()
    row = reader.locator(f"tr[data-reference='{reference}']")
    expect(row).to_contain_text("répondu")
    expect(row.get_by_text("Nouvelle réponse")).to_have_count(0)
    shots(reader, "badge-disparu")
