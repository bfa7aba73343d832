"""Attachments (« pièces jointes ») in a real browser, through the gateway, against the local
object storage (s3proxy) and antivirus (clamd):

- a member joins a PDF and a PNG to a new message, sees them in the recap with their sizes,
  sends it, and finds them in the thread once scanned; the agent opens the PDF in the back
  office and gets the very bytes sent, then answers with a « Demande de précisions » and a
  file of their own, which the member opens, and the member's answer carries a file too;
- files the rules refuse are explained in French, in the browser (a program, a file over
  10 MB) or by the service, which decides the type from the content (a program renamed .pdf).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from services.messages.tests.support import sample_pdf

pytestmark = pytest.mark.e2e

TEXT = "Bonjour, voici l'attestation de mon employeur et la photo du courrier reçu ce mois-ci."
REPLY = "Bonjour, merci. Pouvez-vous nous envoyer aussi l'avis d'imposition ? Modèle joint."
ANSWER = "Bonjour, voici mon avis d'imposition, comme demandé dans votre réponse."
SCANNED = 90_000  # ms: the antivirus' verdict, then the page's next look (every 3 s)


def a_png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (240, 160), (0, 0, 145)).save(output, format="PNG")
    return output.getvalue()


def file(name: str, content: bytes, media_type: str = "application/pdf") -> dict[str, Any]:
    return {"name": name, "mimeType": media_type, "buffer": content}


def picker(page: Page) -> Any:
    return page.get_by_label(re.compile("^Ajouter une pièce jointe"))


def chosen(page: Page) -> Any:
    return page.get_by_role("list", name="Pièces jointes ajoutées")


def downloaded(page: Page, link: Any) -> bytes:
    with page.expect_download() as downloading:
        link.click()
    return Path(downloading.value.path()).read_bytes()


def test_a_member_sends_two_files_that_the_agent_opens_and_answers_with_one(
    browsing, portal, backoffice, accounts, shots, axe_check
):
    jeanne = accounts.member("Jeanne")
    attestation = sample_pdf("Attestation employeur")
    page = browsing.new_page()
    portal.open_messages(page, jeanne)
    portal.to_message_step(page)
    portal.message_box(page).fill(TEXT)
    # The limits are said before a file is chosen.
    expect(page.get_by_text(re.compile("Taille maximale : 10 Mo par fichier"))).to_be_visible()
    picker(page).set_input_files(
        [file("attestation.pdf", attestation), file("courrier.png", a_png(), "image/png")]
    )
    expect(chosen(page).get_by_role("listitem")).to_have_count(2, timeout=30_000)
    expect(chosen(page)).to_contain_text(re.compile(r"attestation\.pdf \(\d+ ko\)"))
    expect(chosen(page)).to_contain_text(re.compile(r"courrier\.png \(\d+ ko\)"))
    shots(page, "deux-pieces-jointes")
    axe_check(page, "step 5 with two files")

    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")
    recap = page.locator("#recapitulatif-pieces-jointes")
    expect(recap.get_by_role("listitem")).to_have_count(2)
    expect(recap).to_contain_text(re.compile(r"attestation\.pdf \(\d+ ko\)"))
    expect(recap).to_contain_text(re.compile(r"courrier\.png \(\d+ ko\)"))
    shots(page, "recapitulatif-avec-pieces-jointes")
    axe_check(page, "the recap with two files")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", confirmation.inner_text()).group(0)

    # In the thread, each file opens once the antivirus found it clean.
    page.get_by_role("link", name="Voir ma demande").click()
    page.get_by_role("heading", name=f"Demande {reference}").wait_for()
    files = page.get_by_role("list", name="Pièces jointes", exact=True)
    expect(files.get_by_role("link", name=re.compile(r"^attestation\.pdf"))).to_be_visible(
        timeout=SCANNED
    )
    expect(files.get_by_role("link", name=re.compile(r"^courrier\.png"))).to_be_visible(
        timeout=SCANNED
    )
    expect(files.get_by_role("link", name=re.compile(r"^attestation\.pdf"))).to_contain_text(
        re.compile(r"PDF – \d+ ko – ajouté le")
    )
    thread_url = page.url

    # The agent sees both and opens the PDF: the bytes the member sent.
    agent_page = browsing.new_page()
    backoffice.login(agent_page, accounts.agent("agent", "CNO"))
    backoffice.open_thread(agent_page, reference)
    pdf_link = agent_page.get_by_role("link", name=re.compile(r"^attestation\.pdf"))
    expect(pdf_link).to_be_visible(timeout=SCANNED)
    expect(agent_page.get_by_role("link", name=re.compile(r"^courrier\.png"))).to_be_visible()
    shots(agent_page, "conseiller-voit-les-pieces-jointes")
    axe_check(agent_page, "a thread with files in the back office")
    assert downloaded(agent_page, pdf_link) == attestation

    # It answers with a « Demande de précisions » and a file of its own.
    model = sample_pdf("Modèle d'avis d'imposition")
    agent_page.get_by_role("textbox", name=re.compile("^Votre réponse")).fill(REPLY)
    picker(agent_page).set_input_files([file("modele.pdf", model)])
    expect(chosen(agent_page)).to_contain_text("modele.pdf", timeout=30_000)
    agent_page.locator("label", has_text=re.compile("^Demande de précisions")).click()
    agent_page.get_by_role("button", name="Envoyer la réponse").click()
    expect(agent_page.get_by_text("Votre demande de précisions est envoyée")).to_be_visible()

    # The member opens the fund's file and answers with a document of their own.
    page.goto(thread_url)
    expect(page.get_by_text(REPLY)).to_be_visible()
    model_link = page.get_by_role("link", name=re.compile(r"^modele\.pdf"))
    expect(model_link).to_be_visible(timeout=SCANNED)
    assert downloaded(page, model_link) == model
    answer_form = page.locator("form", has=page.get_by_role("heading", name="Compléter ma demande"))
    answer_form.get_by_role("textbox", name=re.compile("^Mon message")).fill(ANSWER)
    notice = sample_pdf("Avis d'imposition")
    picker(answer_form).set_input_files([file("avis-imposition.pdf", notice)])
    expect(chosen(answer_form)).to_contain_text("avis-imposition.pdf", timeout=30_000)
    shots(page, "reponse-avec-piece-jointe")
    axe_check(page, "a follow-up with a file")
    answer_form.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_text("Votre message a été ajouté à la demande.")).to_be_visible()
    expect(page.get_by_text(ANSWER)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^avis-imposition\.pdf"))).to_be_visible(
        timeout=SCANNED
    )
    shots(page, "demande-avec-toutes-les-pieces-jointes")

    agent_page.reload()
    answer_link = agent_page.get_by_role("link", name=re.compile(r"^avis-imposition\.pdf"))
    expect(answer_link).to_be_visible(timeout=SCANNED)
    assert downloaded(agent_page, answer_link) == notice


def test_files_the_rules_refuse_are_explained_in_french(browsing, portal, accounts, shots):
    camille = accounts.member("Camille")
    page = browsing.new_page()
    portal.open_messages(page, camille)
    portal.to_message_step(page)
    alert = page.locator("#pieces-jointes").get_by_role("alert")

    # A program, by its name: refused in the browser, never sent.
    picker(page).set_input_files(
        [file("installer.exe", b"MZ" + b"\x00" * 2000, "application/x-msdownload")]
    )
    expect(alert).to_contain_text(
        "« installer.exe » n’est pas accepté : joignez un PDF, une image JPEG ou PNG, ou une photo HEIC."
    )
    # Over 10 MB: said at once, with its size.
    picker(page).set_input_files([file("releves.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))])
    expect(alert).to_contain_text(re.compile(r"« releves\.pdf » dépasse 10 Mo \(10,0 Mo\)"))
    # A program renamed .pdf: the service reads its first bytes and refuses it.
    picker(page).set_input_files([file("facture.pdf", b"MZ\x90\x00" + b"\x00" * 4000)])
    expect(alert).to_contain_text(
        "Ce type de fichier n'est pas accepté : joignez un PDF, une image JPEG ou PNG, "
        "ou une photo HEIC.",
        timeout=30_000,
    )
    expect(chosen(page)).to_have_count(0)
    shots(page, "fichiers-refuses")
