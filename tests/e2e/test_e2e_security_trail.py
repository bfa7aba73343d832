"""The security trail in the back office: an admin opens « Journal de sécurité », sees their
own login, and finds a failed login on an account nobody has by filtering on its kind,
outcome and masked name; the page is accessible."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def masked(typed: str) -> str:
    """What the trail shows of an account nobody has: its first character and last three."""
    return typed[0] + "*" * (len(typed) - 4) + typed[-3:]


def test_an_admin_reads_and_filters_the_security_trail(
    browsing, backoffice, accounts, e2e_stack, shots, axe_check
):
    unknown = f"inconnu.{secrets.token_hex(3)}@msa.example"
    with httpx.Client(
        base_url=e2e_stack.base_url, headers={"Origin": e2e_stack.base_url}, timeout=30
    ) as http:
        failed = http.post(
            "/api/auth/agents/session", json={"email": unknown, "password": "Pas-Le-Bon-2026"}
        )
    assert failed.status_code == 401

    admin = accounts.agent("admin")
    page = browsing.new_page()
    backoffice.login(page, admin)
    page.get_by_role("link", name="Journal de sécurité").click()
    page.get_by_role("heading", name="Journal de sécurité", level=1).wait_for()
    journal = page.locator("#journal tbody")
    own_login = journal.locator("tr").filter(has_text="Connexion").filter(has_text=admin.email)
    expect(own_login.first).to_be_visible()
    expect(own_login.first).to_contain_text("La personne elle-même")
    axe_check(page, "security trail")

    page.get_by_label("Événement").select_option(label="Échec de connexion")
    page.get_by_label("Résultat").select_option(label="Échoué")
    page.get_by_role("textbox", name="Compte").fill(masked(unknown))
    page.get_by_role("button", name="Afficher", exact=True).click()
    rows = journal.locator("tr")
    expect(rows.first).to_contain_text("Échec de connexion")
    expect(rows.first).to_contain_text(masked(unknown))
    expect(rows.first).to_contain_text("par mot de passe")
    assert unknown not in page.content(), "never what was typed in full"
    shots(page, "journal-de-securite")
