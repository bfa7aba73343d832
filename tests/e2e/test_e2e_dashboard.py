"""A supervisor reads « Tableau de bord »: a member's new message is counted in this week's
« Messages reçus » (the projection follows the messages topics), each chart is followed by
its numbers in a table, the figures download as a CSV file for a spreadsheet, and the page is
clean for axe. An agent who is not a supervisor has no such page."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

VOLUMES = "Messages reçus et réponses par semaine"
DASHBOARD_API = re.compile(r"/api/messages/agent/dashboard(\?|$)")


def this_week() -> str:
    year, week, _ = datetime.now(ZoneInfo("Europe/Paris")).isocalendar()
    return f"{year}-S{week:02d}"


def received_this_week(page: Page) -> int:
    table = page.get_by_role("table", name=f"{VOLUMES} : les valeurs")
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=this_week()))
    return int(row.get_by_role("cell").first.inner_text())


def send_a_message(page: Page, portal, member, text: str) -> str:
    portal.open_messages(page, member)
    portal.to_message_step(page)
    portal.message_box(page).fill(text)
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("button", name="Envoyer", exact=True).click()
    heading = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(heading).to_be_visible()
    return re.search(r"[A-Z]{3}-\d{4}-\d{6}", heading.inner_text()).group(0)


def test_a_supervisor_reads_the_dashboard_and_downloads_it(
    browsing, portal, backoffice, accounts, shots, axe_check
):
    luc = browsing.new_page()
    backoffice.login(luc, accounts.agent("supervisor", "NPC"))
    luc.get_by_role("link", name="Tableau de bord").click()
    expect(luc.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    expect(luc.get_by_text("MSA Nord-Pas de Calais - toutes les prestations")).to_be_visible()
    expect(luc.get_by_role("img", name=re.compile(VOLUMES))).to_be_visible()
    before = received_this_week(luc)
    shots(luc, "tableau-de-bord")

    reference = send_a_message(
        browsing.new_page(),
        portal,
        accounts.member("Camille"),
        "Bonjour, je voudrais savoir où en est le versement de ma prime d'activité.",
    )

    # The figures follow the events: « Afficher » again until the message is counted.
    deadline = time.monotonic() + 60
    while received_this_week(luc) < before + 1:
        assert time.monotonic() < deadline, f"the message {reference} is not counted"
        with luc.expect_response(DASHBOARD_API):
            luc.get_by_role("button", name="Afficher").click()
    expect(
        luc.get_by_text(re.compile("Les chiffres sont (à jour|en cours de mise à jour)"))
    ).to_be_visible()
    for chart in (
        VOLUMES,
        "Délai de première réponse (jours ouvrés)",
        "Relances et avis de satisfaction par semaine",
    ):
        expect(luc.get_by_role("img", name=re.compile(re.escape(chart)))).to_be_visible()
        expect(luc.get_by_role("table", name=f"{chart} : les valeurs")).to_be_visible()
    stock = luc.get_by_role("table", name=re.compile("Demandes en attente d’une première réponse"))
    expect(stock.get_by_role("columnheader", name="Plus de 10 jours ouvrés")).to_be_visible()
    shots(luc, "message-compte")
    axe_check(luc, "the supervisor's dashboard")

    # One theme: the address keeps the filter, the figures follow it.
    luc.get_by_label("Prestation").select_option(
        label="Famille, Allocations familiales, aides au logement"
    )
    luc.get_by_role("button", name="Afficher").click()
    luc.wait_for_url(re.compile(r"/backoffice/tableau-de-bord\?.*theme=famille"))
    expect(
        luc.get_by_text(
            "MSA Nord-Pas de Calais - Famille, Allocations familiales, aides au logement"
        )
    ).to_be_visible()

    with luc.expect_download() as downloading:
        luc.get_by_role("link", name="Télécharger (CSV)").click()
    download = downloading.value
    assert re.fullmatch(
        r"tableau-de-bord-NPC-\d{4}-S\d{2}-\d{4}-S\d{2}\.csv", download.suggested_filename
    )
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Caisse;Semaine;Début de semaine;Prestation;Messages reçus;Réponses")
    assert any(line.startswith(f"MSA Nord-Pas de Calais;{this_week()};") for line in lines)
    assert all("Santé" not in line for line in lines)

    # Leave the demo queue as it was.
    backoffice.open_thread(luc, reference)
    luc.get_by_role("button", name="Clore la demande").click()
    expect(luc.get_by_text("La demande est close.")).to_be_visible()


def test_an_agent_has_no_dashboard(browsing, backoffice, accounts):
    sophie = browsing.new_page()
    backoffice.login(sophie, accounts.agent("agent", "NPC"))
    expect(sophie.get_by_role("link", name="Tableau de bord")).to_have_count(0)
    sophie.goto("/backoffice/tableau-de-bord")
    expect(sophie.get_by_role("heading", name="Accès réservé")).to_be_visible()
