"""An agent finds a thread by the reference the member reads out on the phone: « Référence de
la demande » above the queue's filters, Enter, the thread listed (typed whole or as its number
alone), opened from the result; another fund's reference finds nothing and says so; what is no
reference gets an error linked to the field. However long the demo queue has grown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

NOT_FOUND = "Aucune demande de votre caisse ne porte cette référence."


def send_a_message(page: Page, portal, member, text: str) -> str:
    """The member writes through the six steps; returns the new thread's reference."""
    portal.open_messages(page, member)
    portal.to_message_step(page)
    portal.message_box(page).fill(text)
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("button", name="Envoyer", exact=True).click()
    heading = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(heading).to_be_visible()
    return re.search(r"[A-Z]{3}-\d{4}-\d{6}", heading.inner_text()).group(0)


def close_thread(page: Page) -> None:
    """Leaves the demo queue as it was: the thread open on this page is closed."""
    page.get_by_role("button", name="Clore la demande").click()
    expect(page.get_by_text("La demande est close.")).to_be_visible()


def test_an_agent_finds_a_thread_by_its_reference_and_never_another_funds(
    browsing, portal, backoffice, accounts, shots, axe_check
):
    ours = send_a_message(
        browsing.new_page(),
        portal,
        accounts.member("Camille"),
        "Bonjour, je vous appelle au sujet de mes allocations de septembre.",
    )
    theirs = send_a_message(
        browsing.new_page(),
        portal,
        accounts.member("Jeanne"),
        "Bonjour, mon petit-fils vit chez moi depuis la rentrée, que dois-je déclarer ?",
    )
    assert ours.startswith("NPC-")
    assert theirs.startswith("CNO-")

    sophie = browsing.new_page()
    backoffice.login(sophie, accounts.agent("agent", "NPC"))
    search = sophie.get_by_role("search", name="Rechercher une demande par sa référence")
    box = search.get_by_role("searchbox", name="Référence de la demande")
    expect(box).to_have_accessible_description(re.compile("Par exemple NPC-2026-000123"))
    # The field comes before the queue's filters.
    filters = sophie.get_by_role("form", name="Filtrer la file")
    assert search.bounding_box()["y"] < filters.bounding_box()["y"]
    shots(sophie, "file-et-champ-de-recherche")

    # The member reads out the number only: it is this year's, in the agent's fund.
    number = ours.rsplit("-", 1)[1]
    backoffice.search(sophie, str(int(number)))
    expect(box).to_have_value(ours)
    expect(sophie.locator("#resultat-recherche")).to_have_text(
        f"Une demande porte la référence {ours}."
    )
    rows = sophie.locator("#file tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", ours)
    expect(rows.first).to_contain_text("Camille MARTIN")
    expect(sophie.get_by_role("form", name="Filtrer la recherche")).to_be_visible()
    expect(sophie.get_by_role("list", name="Nombre de demandes")).to_have_count(0)
    shots(sophie, "recherche-trouvee")
    axe_check(sophie, "a search by reference that found the thread")

    # Another fund's reference, typed whole and in lower case: nothing, and no hint it exists.
    backoffice.search(sophie, f"  {theirs.lower()} ")
    expect(box).to_have_value(theirs)
    expect(sophie.locator("#resultat-recherche")).to_have_text(
        f"{NOT_FOUND} Référence cherchée : {theirs}."
    )
    expect(sophie.locator("#file")).to_have_count(0)
    shots(sophie, "reference-d-une-autre-caisse")
    axe_check(sophie, "a search by reference that found nothing")

    # What is no reference: an error linked to the field, nothing searched.
    box.fill("NPC-2026")
    box.press("Enter")
    error = sophie.locator("#recherche-reference-error")
    expect(error).to_contain_text("n’a pas la forme attendue")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile("n’a pas la forme attendue"))
    expect(box).to_be_focused()
    assert sophie.url.endswith(f"?reference={theirs}")
    shots(sophie, "reference-mal-saisie")
    axe_check(sophie, "a reference typed wrong")

    # The whole reference, with the button this time; the result opens the thread.
    box.fill(ours)
    search.get_by_role("button", name="Rechercher").click()
    sophie.wait_for_url(f"**/backoffice/?reference={ours}")
    expect(error).to_have_count(0)
    sophie.locator(f"tr[data-reference='{ours}']").get_by_role("link", name=ours).click()
    sophie.get_by_role("heading", name=f"Demande {ours}").wait_for()
    expect(sophie.get_by_text("je vous appelle au sujet de mes allocations")).to_be_visible()
    close_thread(sophie)
    # Closed, it is still found: a search looks through every status.
    expect(backoffice.find(sophie, ours)).to_contain_text("clos")
    sophie.get_by_role("link", name="Revenir à la file").click()
    sophie.wait_for_url("**/backoffice/")
    expect(box).to_have_value("")
    expect(sophie.get_by_role("list", name="Nombre de demandes")).to_be_visible()

    # The other fund's agent finds hers.
    claire = browsing.new_page()
    backoffice.login(claire, accounts.agent("agent", "CNO"))
    backoffice.open_thread(claire, theirs)
    shots(claire, "autre-caisse-trouve-la-sienne")
    close_thread(claire)
