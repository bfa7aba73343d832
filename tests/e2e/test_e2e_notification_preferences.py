"""Email preferences, end to end through the gateway: a member turns the thread emails off on
/compte, sends a message and gets no confirmation (the delivery log records it as skipped);
turned back on, the emails come again; the « Ne plus recevoir ces courriels » link of an
email turns them off from a browser with no session, and the one-click link of the
List-Unsubscribe header works through the gateway. The back office's delivery log says why
an email was not sent.

The member is made for the run (a NIR of their own, created and activated through the auth
API), so no other test's emails depend on their choices.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.enrolment import Letters

pytestmark = pytest.mark.e2e

TOGGLE = "Me prévenir par courriel de la réception de mes messages et des réponses de ma caisse"
ASKING = "Ne plus recevoir les courriels de suivi de mes demandes"
DONE = "Vous ne recevrez plus ces courriels"
TEXT = "Bonjour, pouvez-vous me dire où en est le versement de mes allocations de ce mois ? Merci."
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")
TOKEN = re.compile(r"/desabonnement#jeton=([A-Za-z0-9_.-]+)")


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    email: str
    password: str
    thirteen: str

    @property
    def login_nir(self) -> str:
        n = self.thirteen
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]}"


def poll(check: Callable[[], Any], *, what: str, timeout: float = 60.0) -> Any:
    """``check()`` until it returns something truthy: a condition, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what} not seen within {timeout}s (last: {last!r})")


def new_member(gateway: httpx.Client, letters: Letters) -> Member:
    """A member of NPC of this run's own: a person of the local registry, enrolled through the
    auth API and activated with the code of the letter the fund posts."""
    person = letters.newcomer()
    thirteen, email, password = person.thirteen, person.email, person.password
    created = gateway.post(
        "/api/auth/members",
        json={
            "nir": person.nir_with_key,
            "birth_date": person.birth_date.isoformat(),
            "family_name": person.family_name,
            "email": email,
            "password": password,
        },
    )
    assert created.status_code == 202, created.text
    code = letters.code(person)
    activated = gateway.post(
        "/api/auth/members/activation", json={"nir": person.nir_with_key, "code": code}
    )
    assert activated.status_code == 204, activated.text
    session = gateway.post(
        "/api/auth/session", json={"nir": thirteen, "password": password, "bearer": True}
    )
    assert session.status_code == 200, session.text
    me = gateway.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {session.json()['access_token']}"}
    ).json()
    profile = me.get("member") or me.get("profile") or me
    return Member(uuid.UUID(profile["id"]), email, password, thirteen)


def agent_token(gateway: httpx.Client, accounts: Any) -> str:
    agent = accounts.agent("agent", "NPC")
    session = gateway.post(
        "/api/auth/agents/session",
        json={"email": agent.email, "password": agent.password, "bearer": True},
    )
    assert session.status_code == 200, session.text
    token: str = session.json()["access_tokens"]["notifier"]
    return token


def deliveries(gateway: httpx.Client, token: str, member: Member) -> list[dict[str, Any]]:
    """The member's emails in the delivery log, as an agent of their fund reads it."""
    response = gateway.get(
        "/api/notifier/deliveries",
        params={"member_id": str(member.id)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def delivery_of(
    gateway: httpx.Client, token: str, member: Member, reference: str, status: str
) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for entry in deliveries(gateway, token, member):
            if (entry["reference"], entry["kind"], entry["status"]) == (
                reference,
                "message_received",
                status,
            ):
                return entry
        return None

    entry: dict[str, Any] = poll(found, what=f"the confirmation of {reference} {status}")
    return entry


def emails_about(mailbox: Any, member: Member, reference: str) -> list[str]:
    entries = mailbox.list(member.email)
    return [entry["subject"] for entry in entries if reference in entry.get("subject", "")]


def send_message(page: Page, portal: Any) -> str:
    """Through the six steps; returns the reference of the new thread."""
    page.goto("/messages")
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    portal.to_message_step(page)
    portal.message_box(page).fill(TEXT)
    page.get_by_role("button", name="Valider", exact=True).click()
    portal.step_heading(page, "Récapitulatif de ma demande")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    confirmation = page.get_by_role("heading", name=re.compile("Référence de votre demande"))
    expect(confirmation).to_be_visible()
    return re.search(r"[A-Z]{3}-\d{4}-\d{6}", confirmation.inner_text()).group(0)


def set_thread_emails(page: Page, on: bool) -> None:
    """On /compte: the DSFR toggle draws its own switch, so a person clicks its label."""
    toggle = page.get_by_role("checkbox", name=TOGGLE)
    expect(toggle).to_be_enabled()
    expect(toggle).to_be_checked(checked=not on)
    page.locator("label[for='courriels-suivi']").click()
    expect(toggle).to_be_checked(checked=on)
    status = page.locator("#notifications [role='status']")
    if on:
        expect(status).to_contain_text("vous serez prévenu par courriel")
    else:
        expect(status).to_contain_text("vous ne recevrez plus ces courriels")


def test_thread_emails_off_on_the_account_then_back_on_then_off_from_an_email(
    browsing, portal, backoffice, e2e_stack, accounts, mailbox, letters, shots, axe_check, focus_of
):
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as gateway:
        member = new_member(gateway, letters)
        agent = agent_token(gateway, accounts)

        # From an email's « préférences de votre compte » link: login, then the section itself.
        page = browsing.new_page()
        page.goto("/compte#notifications")
        page.wait_for_url("**/connexion?retour=*")
        page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(member.login_nir)
        page.get_by_label("Mot de passe", exact=True).fill(member.password)
        page.get_by_role("button", name="Se connecter", exact=True).click()
        page.wait_for_url("**/compte#notifications")
        expect(page.locator("#notifications")).to_be_focused()
        toggle = page.get_by_role("checkbox", name=TOGGLE)
        expect(toggle).to_be_checked()
        shots(page, "compte-courriels-actives")
        axe_check(page, "the account page with its email preferences")

        # Off: the next message's confirmation is recorded as skipped, and never sent.
        set_thread_emails(page, on=False)
        shots(page, "compte-courriels-desactives")
        axe_check(page, "the account page, thread emails turned off")
        page.reload()
        expect(page.get_by_role("checkbox", name=TOGGLE)).not_to_be_checked()
        first = send_message(page, portal)
        skipped = delivery_of(gateway, agent, member, first, "skipped_opted_out")
        assert skipped["sent_at"] is None
        assert "ne plus recevoir" in skipped["last_error"]
        # Skipped is final: had an email gone out, it would be in the mailbox by now.
        assert emails_about(mailbox, member, first) == []
        # The back office's delivery log says why, in French.
        agent_page = browsing.new_page()
        backoffice.login(agent_page, accounts.agent("agent", "NPC"))
        agent_page.goto(f"/backoffice/demandes/{skipped['thread_id']}")
        agent_page.get_by_role("heading", name=f"Demande {first}").wait_for()
        log = agent_page.locator("#journal-envois")
        expect(log).to_contain_text("non envoyé (désabonné)")
        expect(log).to_contain_text("a choisi de ne plus recevoir les courriels de suivi")
        shots(agent_page, "journal-des-envois-non-envoye")
        axe_check(agent_page, "the back office's delivery log with a skipped email")

        # Back on: the next message's confirmation arrives.
        page.goto("/compte")
        set_thread_emails(page, on=True)
        second = send_message(page, portal)
        delivery_of(gateway, agent, member, second, "sent")
        confirmation = mailbox.wait_for(
            member.email, lambda m: second in m.get("subject", "") + m.get("text", "")
        )
        assert emails_about(mailbox, member, first) == [], "the skipped one never comes"

        # The email's two links: the portal's page (footer) and one-click (header), same token.
        base = e2e_stack.base_url
        token = TOKEN.search(confirmation["text"]).group(1)
        page_link = f"{base}/desabonnement#jeton={token}"
        assert f"Ne plus recevoir ces courriels : {page_link}" in confirmation["text"]
        assert f'href="{page_link}"' in confirmation["html"]
        one_click = f"{base}/api/notifier/unsubscribe?token={token}"
        assert confirmation["headers"]["List-Unsubscribe"] == f"<{one_click}>"
        assert confirmation["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        # The footer link, in a browser with no session: it explains, and waits for a click.
        reader = browsing.new_page()
        reader.goto(page_link)
        heading = reader.get_by_role("heading", name=ASKING, level=1)
        expect(heading).to_be_focused()
        expect(reader.get_by_text("vous seront toujours envoyés", exact=False)).to_be_visible()
        shots(reader, "desabonnement-question")
        axe_check(reader, "the unsubscribe page")
        reader.get_by_role("button", name="Ne plus recevoir ces courriels").click()
        done = reader.get_by_role("heading", name=DONE, level=1)
        expect(done).to_be_focused()
        assert DONE in focus_of(reader)
        expect(reader.locator(".fr-alert--success")).to_contain_text("Votre choix est enregistré")
        assert "jeton" not in reader.url, "the token leaves the address once used"
        shots(reader, "desabonnement-fait")
        axe_check(reader, "the unsubscribe page, done")
        # Its link back to the account, where the toggle is off now.
        reader.get_by_role("link", name="Réactiver ces courriels dans mon compte").click()
        reader.wait_for_url("**/connexion?retour=*")
        reader.get_by_role("textbox", name="Numéro de sécurité sociale").fill(member.login_nir)
        reader.get_by_label("Mot de passe", exact=True).fill(member.password)
        reader.get_by_role("button", name="Se connecter", exact=True).click()
        reader.wait_for_url("**/compte#notifications")
        expect(reader.get_by_role("checkbox", name=TOGGLE)).not_to_be_checked()

        # One-click, as a mail provider does it, through the gateway: no cookie, a form body.
        clicked = gateway.post(
            one_click,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert clicked.status_code == 200
        assert clicked.json() == {"thread_emails": False}
        forged = gateway.post(
            one_click.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")),
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert forged.status_code == 404
        assert forged.headers["content-type"] == "application/problem+json"


def test_the_unsubscribe_page_says_when_its_link_is_wrong(browsing, e2e_stack, shots, axe_check):
    page = browsing.new_page()
    page.goto("/desabonnement#jeton=" + "A" * 22 + "." + "B" * 43)
    expect(page.get_by_role("heading", name=ASKING, level=1)).to_be_focused()
    page.get_by_role("button", name="Ne plus recevoir ces courriels").click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Ce lien de désabonnement n’est pas valide")
    expect(page.get_by_role("button", name="Ne plus recevoir ces courriels")).to_be_enabled()
    shots(page, "desabonnement-lien-invalide")
    axe_check(page, "the unsubscribe page with an invalid link")

    page.goto("/desabonnement")
    expect(page.get_by_role("heading", name=ASKING, level=1)).to_be_visible()
    expect(page.get_by_text("Lien incomplet")).to_be_visible()
    expect(page.get_by_role("button", name="Ne plus recevoir ces courriels")).to_have_count(0)
    axe_check(page, "the unsubscribe page without a token")
