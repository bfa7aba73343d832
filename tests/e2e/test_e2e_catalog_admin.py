"""The catalog editor: an admin adds a motif in the back office and publishes it; the messages
service takes the new version from its snapshot, so a member's wizard offers the motif and a
message on it is accepted; the back office's history shows the change. At the end the admin
deactivates the motif and publishes again (nodes are never deleted), so the seed's catalog is
what every other test sees, whatever happened in between.

The motif has a code and label of this run's own, so runs never meet each other's edits."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

THEME = "famille"
SUBJECT = "famille-allocations"
SUBJECT_LABEL = "Allocations familiales"
TEXT = "Bonjour, je voudrais savoir quel justificatif envoyer pour mon dossier."


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float = 30) -> None:
    """Ask again and again until ``condition`` holds (fails after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.2)


def prepare_status(member: Page, motif: str) -> int:
    """What the messages service answers to step 5's « Valider » for this motif, asked with
    the member's own session (cookie and CSRF header, as the portal asks)."""
    csrf = next(c["value"] for c in member.context.cookies() if c["name"] == "mm-portal-csrf")
    response = member.request.post(
        "/api/messages/messages/prepare",
        data={"theme": THEME, "subject": SUBJECT, "motif": motif, "text": TEXT},
        headers={"X-CSRF-Token": csrf},
    )
    return response.status


def _find(nodes: list[dict[str, Any]], code: str) -> dict[str, Any] | None:
    for node in nodes:
        if node["code"] == code:
            return node
        found = _find(node.get("subjects") or node.get("motifs") or [], code)
        if found is not None:
            return found
    return None


def retire_through_the_api(base_url: str, admin: Any, code: str) -> None:
    """Deactivate the motif in the draft if it is there and active, and publish what the draft
    holds: the way back to the seed's catalog when the test stopped half-way."""
    with httpx.Client(base_url=base_url, headers={"Origin": base_url}, timeout=30) as http:
        session = http.post(
            "/api/auth/agents/session",
            json={"email": admin.email, "password": admin.password, "bearer": True},
        )
        session.raise_for_status()
        http.headers["Authorization"] = f"Bearer {session.json()['access_tokens']['catalog']}"
        draft = http.get("/api/catalog/admin/draft").raise_for_status().json()
        revision = draft["revision"]
        node = _find(draft["themes"], code)
        if node is not None and node["active"]:
            edited = http.patch(
                f"/api/catalog/admin/nodes/{code}",
                json={"active": False},
                headers={"If-Match": f'"draft-{revision}"'},
            ).raise_for_status()
            revision = edited.json()["revision"]
            draft = http.get("/api/catalog/admin/draft").raise_for_status().json()
        if draft["changes"]:
            published = http.post(
                "/api/catalog/admin/publish", headers={"If-Match": f'"draft-{revision}"'}
            )
            assert published.status_code == 201, published.text


@pytest.fixture
def retired_at_the_end(e2e_stack, accounts) -> Iterator[list[str]]:
    """Motif codes to leave deactivated (and published so) whatever the test's outcome."""
    codes: list[str] = []
    yield codes
    for code in codes:
        retire_through_the_api(e2e_stack.base_url, accounts.agent("admin"), code)


def publish(admin: Page) -> Any:
    """Publishes the draft; returns the new version's entry in the history, opened."""
    admin.get_by_role("button", name="Publier", exact=True).click()
    notice = admin.get_by_text(re.compile(r"^Version \d+ publiée\.$"))
    expect(notice).to_be_visible()
    version = re.search(r"\d+", notice.inner_text()).group(0)
    entry = admin.locator("#versions > li").filter(has_text=f"Version {version}, le ")
    # The newest first.
    expect(admin.locator("#versions > li").first).to_contain_text(f"Version {version}, le ")
    entry.locator("summary").click()
    expect(entry.get_by_role("group")).to_have_attribute("open", "")
    return entry


def test_a_motif_added_and_published_in_the_back_office_reaches_the_members_wizard(
    browsing, portal, backoffice, accounts, e2e_stack, shots, axe_check, retired_at_the_end
):
    tag = secrets.token_hex(3)
    code = f"af-essai-{tag}"
    label = f"Ma question d’essai {tag}"

    member = browsing.new_page()
    portal.open_messages(member, accounts.member("Camille"))
    assert prepare_status(member, code) == 422, "an unknown motif is refused"

    # The admin adds the motif under "Allocations familiales", in the draft.
    admin = browsing.new_page()
    backoffice.login(admin, accounts.agent("admin"))
    admin.goto("/backoffice/catalogue")
    admin.get_by_role("heading", name="Catalogue", level=1).wait_for()
    admin.get_by_role("button", name=f"Ajouter un motif à « {SUBJECT_LABEL} »").click()
    expect(admin.get_by_role("heading", name="Ajouter un motif")).to_be_focused()
    admin.get_by_role("textbox", name=re.compile("^Code")).fill(code)
    admin.get_by_role("textbox", name="Libellé", exact=True).fill(label)
    expect(admin.get_by_role("textbox", name="Délai de réponse (jours ouvrés)")).to_have_value("5")
    shots(admin, "ajout-du-motif")
    axe_check(admin, "catalog editor, adding a motif")
    retired_at_the_end.append(code)
    admin.get_by_role("button", name="Ajouter au brouillon").click()
    expect(admin.get_by_text(f"« {label} » est ajouté au brouillon.")).to_be_visible()
    expect(admin.locator("#changements")).to_contain_text(f"Motif « {label} » ajouté")
    shots(admin, "brouillon")
    # Members see nothing before the publication.
    assert prepare_status(member, code) == 422

    added = publish(admin)
    expect(admin.get_by_text("Aucun changement depuis la dernière version.")).to_be_visible()
    expect(added).to_contain_text(f"Motif « {label} » ajouté")
    shots(admin, "version-publiee-et-historique")
    axe_check(admin, "catalog editor, history open")

    # The messages service consumed the new snapshot: the motif is accepted...
    wait_until(
        lambda: prepare_status(member, code) == 200,
        what="the messages service accepts the published motif",
    )
    # ...and the member's wizard offers it; a message on it reaches the recap.
    member.goto("/messages")
    member.get_by_role("link", name="Écrire un nouveau message").click()
    portal.step_heading(member, "Mon message concerne")
    portal.choose_and_validate(member, "Famille, Allocations familiales, aides au logement")
    portal.step_heading(member, "Sujet")
    portal.choose_and_validate(member, SUBJECT_LABEL)
    portal.step_heading(member, "Motif")
    expect(member.get_by_role("radio", name=label, exact=True)).to_be_visible()
    shots(member, "assistant-nouveau-motif")
    axe_check(member, "step 3 with the new motif")
    portal.choose_and_validate(member, label)
    portal.step_heading(member, "Mon message")
    portal.message_box(member).fill(TEXT)
    member.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(member, "Récapitulatif de ma demande")
    expect(member.locator("#recapitulatif")).to_contain_text(f"Motif\u00a0: {label}")
    shots(member, "recapitulatif-nouveau-motif")

    # The admin deactivates it and publishes: members are no longer offered it.
    admin.get_by_role("button", name=f"Modifier « {label} »").click()
    expect(admin.get_by_role("heading", name=f"Modifier « {label} »")).to_be_focused()
    active = admin.get_by_role("checkbox", name="Proposé aux adhérents (actif)")
    expect(active).to_be_checked()
    # DSFR draws its own checkboxes: a person clicks the label.
    admin.locator("label", has_text="Proposé aux adhérents (actif)").click()
    expect(active).not_to_be_checked()
    admin.get_by_role("button", name="Enregistrer dans le brouillon").click()
    expect(admin.get_by_text(f"« {label} » est modifié dans le brouillon.")).to_be_visible()
    expect(admin.locator("#changements")).to_contain_text(f"Motif « {label} » désactivé")
    deactivated = publish(admin)
    expect(deactivated).to_contain_text(f"Motif « {label} » désactivé")
    expect(admin.get_by_text(f"{label} {code} (désactivé)")).to_be_visible()
    shots(admin, "motif-desactive")
    wait_until(
        lambda: prepare_status(member, code) == 422,
        what="the messages service refuses the deactivated motif",
    )
