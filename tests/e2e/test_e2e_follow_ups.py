"""What follows a reply, in a real browser: the member answers « Cette réponse vous a-t-elle
aidé ? », then presses « Je n'ai pas compris la réponse »; the confirmation email arrives
(without their words), and the agent sees the « relance » on top of the queue, with the
member's rating under the reply."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = "Bonjour, je souhaite savoir quand mes allocations familiales seront versées ce mois-ci."
REPLY = "Bonjour Paul, le versement a lieu le 5 de chaque mois. Cordialement, votre MSA."
EXPLANATION = "Je ne comprends pas : le 5 tombe un dimanche ce mois-ci, est-ce avancé ?"
COMMENT = "Réponse claire, merci."


def test_member_rates_a_reply_then_says_they_did_not_understand_it(
    browsing, portal, backoffice, accounts, mailbox, shots, axe_check
):
    paul = accounts.member("Paul")
    page = browsing.new_page()
    portal.open_messages(page, paul)
    portal.to_message_step(page)
    portal.message_box(page).fill(TEXT)
    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", confirmation.inner_text()).group(0)
    page.get_by_role("link", name="Voir ma demande").click()
    page.get_by_role("heading", name=f"Demande {reference}").wait_for()
    thread_url = page.url

    # The agent answers.
    agent_page = browsing.new_page()
    backoffice.login(agent_page, accounts.agent("agent"))
    backoffice.open_thread(agent_page, reference)
    agent_page.get_by_role("textbox", name=re.compile("^Votre réponse")).fill(REPLY)
    agent_page.get_by_role("button", name="Envoyer la réponse").click()
    expect(agent_page.get_by_text("Votre réponse est envoyée")).to_be_visible()

    # The member reads it and answers the satisfaction question.
    page.goto(thread_url)
    expect(page.get_by_text(REPLY)).to_be_visible()
    question = page.get_by_role("radiogroup", name=re.compile("Cette réponse vous a-t-elle aidé"))
    expect(question).to_be_visible()
    shots(page, "reponse-et-question")
    axe_check(page, "a reply with its follow-ups")
    page.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.get_by_text("Choisissez « Oui » ou « Non ».")).to_be_visible()
    question.locator("label.fr-label", has_text=re.compile("^Oui$")).click()
    page.get_by_role("textbox", name=re.compile("^Commentaire")).fill(COMMENT)
    page.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.get_by_text("Merci, votre avis a été enregistré.")).to_be_visible()
    expect(page.get_by_text("Votre avis : Oui")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Modifier mon avis"))).to_be_visible()
    shots(page, "avis-enregistre")

    # « Je n'ai pas compris la réponse »: a short explanation, with the medical-data notice.
    page.get_by_role("button", name="Je n’ai pas compris la réponse").click()
    box = page.get_by_role("textbox", name=re.compile("^Ce que je n’ai pas compris"))
    expect(
        page.get_by_text(
            "Attention : nous vous conseillons de ne pas communiquer d'information relative à des données médicales."
        ).last
    ).to_be_visible()
    box.fill("Hein ?")
    page.get_by_role("button", name="Envoyer ma demande d’explications").click()
    expect(page.get_by_text(re.compile("Votre message est trop court"))).to_be_visible()
    box.fill(EXPLANATION)
    shots(page, "je-n-ai-pas-compris")
    axe_check(page, "the « Je n'ai pas compris » form")
    page.get_by_role("button", name="Envoyer ma demande d’explications").click()
    expect(
        page.get_by_text(re.compile("Vous avez indiqué ne pas avoir compris cette réponse"))
    ).to_be_visible()
    expect(page.get_by_text(EXPLANATION)).to_be_visible()
    expect(page.get_by_role("button", name="Je n’ai pas compris la réponse")).to_have_count(0)
    shots(page, "relance-envoyee")

    # The notifier confirms it, without the member's words.
    mail = mailbox.wait_for(
        paul.email,
        lambda m: reference in m.get("subject", "") and "explications" in m.get("subject", ""),
    )
    assert EXPLANATION not in mail["text"]
    assert REPLY not in mail["text"]
    assert "traitée en priorité" in mail["text"]

    # The agent sees a « relance » on top of the queue, back to them, with the rating.
    agent_page.goto("/backoffice/?relance=1")
    row = agent_page.locator(f"tr[data-reference='{reference}']")
    expect(row).to_be_visible()
    expect(row.get_by_text("Relance")).to_be_visible()
    expect(row).to_contain_text("Sophie BERNARD")
    expect(agent_page.get_by_text(re.compile(r"Relances : [1-9]"))).to_be_visible()
    agent_page.goto("/backoffice/")
    first = agent_page.locator("#file tbody tr").first
    expect(first.get_by_text("Relance")).to_be_visible()
    shots(agent_page, "file-avec-relance")
    axe_check(agent_page, "the queue with a relance")
    row = agent_page.locator(f"tr[data-reference='{reference}']")
    row.get_by_role("link", name=reference).click()
    agent_page.get_by_role("heading", name=f"Demande {reference}").wait_for()
    expect(agent_page.get_by_text("Oui, elle l’a aidé")).to_be_visible()
    expect(agent_page.get_by_text(COMMENT, exact=False)).to_be_visible()
    expect(
        agent_page.get_by_text(re.compile("L’adhérent n’a pas compris cette réponse"))
    ).to_be_visible()
    shots(agent_page, "demande-avec-avis")
    axe_check(agent_page, "a thread with a rating and a relance")
