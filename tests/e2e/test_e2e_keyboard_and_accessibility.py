"""Keyboard-only use of the journey (focus on each new step's heading), and axe-core on the
pages the journey does not visit: no serious or critical violation anywhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def tab_to(page: Page, role_and_name: str, *, limit: int = 60) -> None:
    """Presses Tab until the focused element's accessible description matches, as a
    keyboard user would; fails if it is never reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        described = page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e) return '';
                const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';
                return `${e.tagName.toLowerCase()}:${e.type || ''}:${(label || e.textContent || '').trim()}`;
            }"""
        )
        if re.search(role_and_name, described):
            return
    raise AssertionError(f"{role_and_name!r} never received the focus by Tab")


def test_the_wizard_with_the_keyboard_only(browsing, accounts, shots, focus_of):
    camille = accounts.member("Camille")
    page = browsing.new_page()
    page.goto("/connexion")
    page.get_by_role("heading", name="Se connecter à mon espace privé").wait_for()
    tab_to(page, r"^input:text:Numéro de sécurité sociale")
    page.keyboard.type(camille.login_nir)
    tab_to(page, r"^input:password:Mot de passe")
    page.keyboard.type(camille.password)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    assert "Mes messages" in focus_of(page)

    tab_to(page, r"^a::Écrire un nouveau message")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=2, name=re.compile("Mon message concerne")).wait_for()
    # Step 1: the first radio, then the arrow keys to the second theme (Famille).
    tab_to(page, r"^input:radio:Santé")
    page.keyboard.press("ArrowDown")
    expect(
        page.get_by_role("radio", name="Famille, Allocations familiales, aides au logement")
    ).to_be_checked()
    tab_to(page, r"^button:submit:Valider")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile("Sujet"))).to_be_focused()
    # Step 2: "Allocations familiales" is the third subject.
    tab_to(page, r"^input:radio:")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Allocations familiales", exact=True)).to_be_checked()
    tab_to(page, r"^button:submit:Valider")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile("Motif"))).to_be_focused()
    # Step 3: "Mon changement de situation" is the seventh motif.
    tab_to(page, r"^input:radio:")
    for _ in range(6):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Mon changement de situation")).to_be_checked()
    tab_to(page, r"^button:submit:Valider")
    page.keyboard.press("Enter")
    # Step 4: the dialog holds the focus; Escape closes it and goes on.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert page.evaluate(
        "() => document.getElementById('service-en-ligne').contains(document.activeElement)"
    )
    shots(page, "dialogue-au-clavier")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=2, name=re.compile("Mon message"))).to_be_focused()
    # Step 5: type, then Valider.
    tab_to(page, r"^textarea:textarea:Mon message")
    page.keyboard.type("Bonjour, je déclare mon déménagement du 3 mars.")
    tab_to(page, r"^button:submit:Valider")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Récapitulatif de ma demande"))
    ).to_be_focused()
    shots(page, "recapitulatif-au-clavier")
    # Step 6: "Précédent" goes back with the text kept; then Envoyer.
    tab_to(page, r"^button:button:Précédent")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=re.compile("Mon message"))).to_be_focused()
    expect(page.get_by_role("textbox", name=re.compile("^Mon message"))).to_have_value(
        "Bonjour, je déclare mon déménagement du 3 mars."
    )
    tab_to(page, r"^button:submit:Valider")
    page.keyboard.press("Enter")
    tab_to(page, r"^button:button:Envoyer")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", level=2, name="Votre message a bien été envoyé")
    ).to_be_focused()
    shots(page, "envoye-au-clavier")


def test_pages_outside_the_journey_have_no_serious_accessibility_violation(
    browsing, portal, backoffice, accounts, shots, axe_check
):
    visitor = browsing.new_page()
    for path, heading in [
        ("/inscription", "Créer mon espace privé"),
        ("/inscription/activation", "Activer mon espace"),
        ("/mot-de-passe/oubli", "Mot de passe oublié"),
        ("/mot-de-passe/nouveau#jeton=exemple", "Choisir un nouveau mot de passe"),
        ("/accessibilite", "Accessibilité"),
        ("/page-qui-n-existe-pas", "Page introuvable"),
    ]:
        visitor.goto(path)
        visitor.get_by_role("heading", name=heading, level=1).wait_for()
        shots(visitor, heading)
        axe_check(visitor, path)
    # A form with errors, each linked to its field.
    visitor.goto("/inscription")
    visitor.get_by_role("button", name="Créer mon espace").click()
    expect(
        visitor.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")
    ).to_be_visible()
    shots(visitor, "inscription-erreurs")
    axe_check(visitor, "registration with errors")

    member = browsing.new_page()
    portal.open_messages(member, accounts.member("Jeanne"))
    member.goto("/compte")
    member.get_by_role("heading", name="Mon compte", level=1).wait_for()
    shots(member, "mon-compte")
    axe_check(member, "account")

    supervisor = browsing.new_page()
    backoffice.login(supervisor, accounts.agent("supervisor"))
    supervisor.goto("/backoffice/reponses-types")
    supervisor.get_by_role("heading", name="Réponses types", level=1).wait_for()
    shots(supervisor, "reponses-types")
    axe_check(supervisor, "canned replies")
    supervisor.goto("/backoffice/?statut=all")
    supervisor.get_by_role("heading", name="File des demandes", level=1).wait_for()
    supervisor.locator("#file").or_(
        supervisor.get_by_text("Aucune demande ne correspond")
    ).wait_for()
    first = supervisor.locator("#file tbody tr a").first
    if first.count():
        first.click()
        supervisor.get_by_role("heading", name="Consultations de la demande").wait_for()
        expect(supervisor.locator("#journal-acces li").first).to_contain_text("Luc DUPONT")
        shots(supervisor, "demande-vue-superviseur")
        axe_check(supervisor, "thread seen by a supervisor")

    admin = browsing.new_page()
    backoffice.login(admin, accounts.agent("admin"))
    admin.goto("/backoffice/catalogue")
    admin.get_by_role("heading", name="Catalogue", level=1).wait_for()
    admin.get_by_role("heading", name="Arborescence").wait_for()
    shots(admin, "catalogue")
    axe_check(admin, "catalog editor")
