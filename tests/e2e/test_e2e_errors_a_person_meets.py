"""Errors a person meets: a message too short, one too long, and a send while the messages
service is stopped (a clear message, the draft kept across a reload, the send succeeding once
the service is back, and a double click sending once)."""

from __future__ import annotations

import random
import re
import string

import pytest
from playwright.sync_api import expect

from devstack.parts import wait_ready

pytestmark = pytest.mark.e2e


def test_nine_characters_are_refused_with_an_error_linked_to_the_field(
    browsing, portal, accounts, shots, axe_check
):
    page = browsing.new_page()
    portal.open_messages(page, accounts.member("Camille"))
    portal.to_message_step(page)
    box = portal.message_box(page)
    box.fill("Bonjour !")
    expect(page.locator("#message-compteur")).to_have_text("741 caractères restants.")
    page.get_by_role("button", name="Valider", exact=True).click()
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")
    expect(summary).to_be_visible()
    link = summary.get_by_role("link", name=re.compile("trop court"))
    expect(link).to_have_attribute("href", "#message")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message-error")).to_contain_text("ajoutez au moins 1 caractère")
    shots(page, "9-caracteres")
    axe_check(page, "step 5 with an error")
    # The error's link takes the person to the field.
    link.click()
    expect(box).to_be_focused()
    # Still on step 5: nothing was sent.
    portal.step_heading(page, "Mon message")
    box.fill("Bonjour, ma question.")
    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")


def test_751_characters_make_the_counter_warn_and_valider_refuse(browsing, portal, accounts, shots):
    page = browsing.new_page()
    portal.open_messages(page, accounts.member("Camille"))
    portal.to_message_step(page)
    box = portal.message_box(page)
    box.fill("é" * 750)
    expect(page.locator("#message-compteur")).to_have_text("0 caractère restant.")
    box.fill("é" * 751)
    counter = page.locator("#message-compteur")
    expect(counter).to_have_text("1 caractère en trop : raccourcissez votre message.")
    # The live region says it at once (a threshold), not after the typing pause.
    expect(page.get_by_test_id("compteur-annonce")).to_have_text(
        "1 caractère en trop : raccourcissez votre message."
    )
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(
        page.get_by_role("link", name="Votre message dépasse 750 caractères : retirez-en 1.")
    ).to_be_visible()
    shots(page, "751-caracteres")
    portal.step_heading(page, "Mon message")


def test_a_send_while_the_messages_service_is_stopped_keeps_the_draft_and_succeeds_later(
    browsing, portal, accounts, e2e_stack, shots
):
    word = "dossier" + "".join(random.choices(string.ascii_lowercase, k=8))
    text = f"Bonjour, voici ma question sur le {word} de mon foyer. Merci."
    page = browsing.new_page()
    portal.open_messages(page, accounts.member("Paul"))
    portal.to_message_step(page)
    portal.message_box(page).fill(text)
    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")

    messages = e2e_stack.stack.parts["messages"]
    messages.stop()
    try:
        page.get_by_role("button", name="Envoyer", exact=True).click()
        failure = page.get_by_role("alert").filter(has_text="Échec de l’envoi")
        expect(failure).to_contain_text("le service est momentanément indisponible")
        expect(failure).to_contain_text("conservé")
        shots(page, "envoi-impossible")
        # The draft survives a reload: still the recap, with the text.
        page.reload()
        portal.step_heading(page, "Récapitulatif de ma demande")
        expect(page.locator("#recapitulatif-message")).to_have_text(text)
        shots(page, "brouillon-conserve-apres-rechargement")
    finally:
        if not messages.running():
            messages.start()
        wait_ready(messages)

    # Once the service is back the same page sends it; a double click sends it once.
    page.get_by_role("button", name="Envoyer", exact=True).dblclick()
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(confirmation).to_be_visible(timeout=30_000)
    shots(page, "envoye-apres-retour-du-service")
    page.goto(f"/messages?recherche={word}")
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    expect(page.locator("tbody tr")).to_have_count(1)
    shots(page, "une-seule-demande")
    # And the draft is gone: a new message starts at step 1.
    page.goto("/messages/nouveau")
    portal.step_heading(page, "Mon message concerne ...")
