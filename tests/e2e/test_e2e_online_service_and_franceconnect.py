"""The online-service path of step 4, and the FranceConnect login through the local provider."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_online_service_button_leads_to_the_service_of_the_members_fund(
    browsing, portal, accounts, shots
):
    page = browsing.new_page()
    portal.open_messages(page, accounts.member("Camille"))
    page.get_by_role("link", name="Écrire un nouveau message").click()
    portal.choose_and_validate(page, "Famille, Allocations familiales, aides au logement")
    portal.choose_and_validate(page, "Allocations familiales")
    portal.choose_and_validate(page, "Mon changement de situation")
    dialog = page.get_by_role("dialog", name="Déclarer un changement de situation")
    expect(dialog).to_be_visible()
    shots(page, "dialogue-service-en-ligne")
    use_it = dialog.get_by_role("link", name="J'utilise le service en ligne")
    target = use_it.get_attribute("href")
    # Camille belongs to MSA Nord-Pas de Calais: the service on her fund's own site.
    assert target is not None
    assert target.startswith("https://nord-pasdecalais.msa.fr/")
    use_it.click()
    page.wait_for_url(target)
    expect(page.get_by_role("heading", name="Site externe simulé")).to_be_visible()
    shots(page, "service-en-ligne-ouvert")


def test_franceconnect_login_through_the_local_provider(browsing, e2e_stack, shots, axe_check):
    page = browsing.new_page()
    page.goto("/connexion")
    shots(page, "connexion")
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    # The provider's own login page (FranceConnect's identity provider choice, simplified).
    page.wait_for_url(re.compile(re.escape(e2e_stack.oidc_origin) + r"/api/v2/interaction/"))
    shots(page, "fournisseur-franceconnect")
    page.get_by_label("Identifiant").fill("camille")
    page.get_by_label("Mot de passe").fill("123")
    page.get_by_role("button", name="Se connecter").click()
    # Back on the portal, logged in: Camille is linked by her identity pivot.
    page.wait_for_url(f"{e2e_stack.base_url}/messages")
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    expect(page.locator(".fr-header__service-tagline")).to_have_text("MSA Nord-Pas de Calais")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    shots(page, "connecte-par-franceconnect")
    axe_check(page, "threads after FranceConnect")
    # A link to the logout address, on any page of any site, logs nobody out: it is no GET.
    assert page.request.get("/api/auth/franceconnect/logout").status == 405
    assert page.request.get("/api/auth/me").status == 200
    # Logging out ends the FranceConnect session too, through the provider, back to the portal.
    end_session = re.compile(re.escape(e2e_stack.oidc_origin) + r"/api/v2/session/end\?")
    with page.expect_request(end_session) as through_provider:
        page.get_by_role("button", name="Se déconnecter").click()
    assert "id_token_hint=" in through_provider.value.url
    page.wait_for_url(re.compile(re.escape(e2e_stack.base_url) + r"/(connexion.*)?$"))
    shots(page, "deconnecte")
    assert page.request.get("/api/auth/me").status == 401
