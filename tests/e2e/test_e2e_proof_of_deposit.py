"""The proof of deposit, in a real browser: the member downloads the PDF of the message they
just sent, reads its fingerprint, and checks it on the public page « Vérifier un accusé de
dépôt » without logging in; a fingerprint changed by one character does not match."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TEXT = "Bonjour, je vous transmets ma demande de prime de naissance pour notre fille Léa."


def test_member_downloads_the_proof_and_checks_it_on_the_public_page(
    browsing, portal, accounts, shots, axe_check
):
    camille = accounts.member("Camille")
    page = browsing.new_page()
    portal.open_messages(page, camille)
    portal.to_message_step(page)
    portal.message_box(page).fill(TEXT)
    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    reference = re.search(r"[A-Z]{3}-\d{4}-\d{6}", confirmation.inner_text()).group(0)

    # From the thread, as a member would later: the download link under their message.
    page.get_by_role("link", name="Voir ma demande").click()
    page.get_by_role("heading", name=f"Demande {reference}").wait_for()
    shots(page, "demande-avec-accuse")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Télécharger l’accusé de dépôt")).first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert reference in text
    assert TEXT in " ".join(text.split()), "the message as the fund received it"
    fingerprint = re.search(r"\b[0-9a-f]{64}\b", text)
    assert fingerprint, "the SHA-256 is printed in full"
    digest = fingerprint.group(0)

    # The public page, in a browser with no session.
    checker = browsing.new_page()
    checker.goto("/verifier-un-accuse-de-depot")
    checker.get_by_role("heading", name="Vérifier un accusé de dépôt", level=1).wait_for()
    axe_check(checker, "the verification page")
    checker.get_by_role("textbox", name=re.compile("^Référence de la demande")).fill(reference)
    checker.get_by_role("textbox", name=re.compile("^Empreinte numérique")).fill(digest)
    checker.get_by_role("button", name="Vérifier").click()
    expect(checker.get_by_text("L’accusé de dépôt est authentique")).to_be_visible()
    shots(checker, "accuse-authentique")
    axe_check(checker, "a matching proof")

    # One character changed: it no longer matches, and nothing else is said.
    changed = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    checker.get_by_role("textbox", name=re.compile("^Empreinte numérique")).fill(changed)
    checker.get_by_role("button", name="Vérifier").click()
    expect(checker.get_by_text("Aucune correspondance")).to_be_visible()
    expect(checker.get_by_text("L’accusé de dépôt est authentique")).to_have_count(0)
    expect(checker.get_by_text(TEXT)).to_have_count(0)
    shots(checker, "accuse-modifie")
