"""A person of the funds' registry creates their account: the portal asks for the number,
birth date and name, answers the same whatever the registry says, and the activation code
arrives by post (a PDF letter in the local outgoing mail, read as a person reads it); a new
code asked for too soon is refused with when to retry; a wrong code is refused beside its
field; then the account opens in the person's fund. Someone who is not in the registry gets
the same answer and no letter. A forgotten password is replaced through the link emailed,
after which only the new one opens the account, and the link works once.

Each test enrols someone of the generated population (deploy/local/registry/) picked at
random among those nobody enrolled in this stack yet, with an address nobody else uses, so
tests and runs never meet each other's accounts, letters or emails.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from playwright.sync_api import Page, expect

from devstack.mailpit import MailpitClient, Message
from tests.e2e.enrolment import (
    ENROLMENT_ANSWER,
    Letters,
    RegistryPerson,
    fill_registration,
)

pytestmark = pytest.mark.e2e

FUND_NAME = "MSA Nord-Pas de Calais"


def wait_for_mail(
    mailbox_url: str,
    to: str,
    predicate: Callable[[Message], bool],
    *,
    count: int = 1,
    timeout: float = 60,
) -> Message:
    """The latest of the first ``count`` emails to ``to`` that match, from the local mailbox.

    ``MailpitClient`` is asynchronous and Playwright's synchronous API owns this thread's
    event loop, so the client runs in a thread of its own."""

    async def wait() -> Message:
        async with MailpitClient(mailbox_url) as mailbox:
            found = await mailbox.wait_for(predicate, to=to, count=count, timeout=timeout)
            return found[count - 1]

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, wait()).result()


def mail_text(message: Message) -> str:
    return f"{message.get('subject', '')}\n{message.get('text', '')}\n{message.get('html', '')}"


def log_in(page: Page, login_nir: str, password: str) -> None:
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(login_nir)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()


def test_a_person_of_the_registry_creates_activates_and_opens_their_account(
    browsing, e2e_stack, letters, shots, axe_check
):
    person = letters.newcomer()
    page = browsing.new_page()

    # From the login page to the registration form: no fund to choose, the registry knows it.
    page.goto("/connexion")
    page.get_by_role("link", name="Créer mon espace").click()
    page.get_by_role("heading", name="Créer mon espace privé", level=1).wait_for()
    expect(page.get_by_role("combobox")).to_have_count(0)
    shots(page, "inscription")
    axe_check(page, "registration")
    fill_registration(page, person)
    shots(page, "inscription-remplie")
    page.get_by_role("button", name="Créer mon espace", exact=True).click()

    # The activation page says where the code goes, without saying whether it goes at all.
    page.wait_for_url("**/inscription/activation?nouveau=1")
    page.get_by_role("heading", name="Activer mon espace", level=1).wait_for()
    expect(page.get_by_text(ENROLMENT_ANSWER)).to_be_visible()
    nir_field = page.get_by_role("textbox", name="Numéro de sécurité sociale")
    expect(nir_field).to_have_value("")  # the number is not kept in the browser
    nir_field.fill(person.thirteen)
    shots(page, "activation")
    axe_check(page, "activation")

    # The letter arrives; the person asks for another one anyway, twice: the second request
    # comes too soon and says when to retry. The newest code is the one valid.
    letters.code(person)
    page.get_by_role("button", name="Recevoir un nouveau code").click()
    expect(page.get_by_text("un nouveau code lui sera envoyé par courrier")).to_be_visible()
    page.get_by_role("button", name="Recevoir un nouveau code").click()
    expect(
        page.get_by_role("alert").filter(has_text="Une demande vient d'être faite")
    ).to_contain_text(re.compile(r"réessayez dans \d+ secondes"))
    shots(page, "nouveau-code-trop-tot")
    code = letters.code(person, nth=2)

    # A wrong code: a French error, in the summary and beside the field, linked to it.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    code_field = page.get_by_role("textbox", name=re.compile("^Code d’activation"))
    code_field.fill(wrong)
    page.get_by_role("button", name="Activer mon espace", exact=True).click()
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")
    expect(summary).to_be_visible()
    link = summary.get_by_role("link", name=re.compile("Ce code n'est pas valide"))
    expect(link).to_have_attribute("href", "#code")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_attribute("aria-describedby", re.compile(r"\bcode-messages\b"))
    expect(page.locator("#code-messages #code-error")).to_contain_text(
        "Ce code n'est pas valide ou a expiré"
    )
    shots(page, "code-errone")
    axe_check(page, "activation with a wrong code")
    link.click()
    expect(code_field).to_be_focused()

    # The right code.
    code_field.fill(code)
    page.get_by_role("button", name="Activer mon espace", exact=True).click()
    page.get_by_role("heading", name="Votre espace est activé", level=1).wait_for()
    shots(page, "espace-active")
    axe_check(page, "activated")

    # Login with the 13 characters and the password: "Mes messages", in the registry's fund.
    page.get_by_role("main").get_by_role("link", name="Se connecter", exact=True).click()
    page.get_by_role("heading", name="Se connecter à mon espace privé").wait_for()
    log_in(page, person.login_nir, person.password)
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    expect(page.locator(".fr-header__service-tagline")).to_have_text(FUND_NAME)
    expect(page.get_by_role("link", name="Écrire un nouveau message")).to_be_visible()
    shots(page, "mes-messages")
    axe_check(page, "the new member's threads")


def test_someone_the_registry_does_not_know_gets_the_same_answer_and_no_letter(
    browsing, letters, shots
):
    person = letters.newcomer()
    impostor = replace(person, family_name="QUELQUUN-DAUTRE", recipient=person.recipient)
    page = browsing.new_page()
    page.goto("/inscription")
    fill_registration(page, impostor)
    page.get_by_role("button", name="Créer mon espace", exact=True).click()
    page.wait_for_url("**/inscription/activation?nouveau=1")
    expect(page.get_by_text(ENROLMENT_ANSWER)).to_be_visible()
    shots(page, "inscription-inconnue")
    # The real person's own enrolment gets a letter; the impostor's none (the first letter
    # to this person is the one the second enrolment asked for).
    page.goto("/inscription")
    fill_registration(page, person)
    page.get_by_role("button", name="Créer mon espace", exact=True).click()
    page.wait_for_url("**/inscription/activation?nouveau=1")
    letters.code(person)
    assert len(letters.codes_for(person)) == 1


def register_through_the_api(base_url: str, letters: Letters, person: RegistryPerson) -> None:
    """An active account made as the portal makes it (same requests), without the pages."""
    with httpx.Client(base_url=base_url, headers={"Origin": base_url}, timeout=30) as client:
        created = client.post(
            "/api/auth/members",
            json={
                "nir": person.nir_with_key,
                "birth_date": person.birth_date.isoformat(),
                "family_name": person.family_name,
                "email": person.email,
                "password": person.password,
            },
        )
        assert created.status_code == 202, created.text
        activated = client.post(
            "/api/auth/members/activation",
            json={"nir": person.thirteen, "code": letters.code(person)},
        )
        assert activated.status_code == 204, activated.text


def test_a_forgotten_password_is_replaced_through_the_emailed_link(
    browsing, e2e_stack, letters, shots, axe_check
):
    person = letters.newcomer()
    register_through_the_api(e2e_stack.base_url, letters, person)
    page = browsing.new_page()

    page.goto("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_role("heading", name="Mot de passe oublié", level=1).wait_for()
    shots(page, "mot-de-passe-oublie")
    axe_check(page, "forgotten password")
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(person.login_nir)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_text("Demande enregistrée")).to_be_visible()
    expect(page.get_by_text("Ce lien est valable 30 minutes.", exact=False)).to_be_visible()
    shots(page, "lien-demande")
    axe_check(page, "forgotten password, asked")

    # The email carries the link to the portal, its token in the fragment.
    message = wait_for_mail(
        e2e_stack.mailbox_url, person.email, lambda m: "/mot-de-passe/nouveau#jeton=" in m["text"]
    )
    link = re.search(
        re.escape(e2e_stack.base_url) + r"/mot-de-passe/nouveau#jeton=[A-Za-z0-9_-]{32,}",
        message["text"],
    )
    assert link is not None, message["text"]
    assert person.password not in mail_text(message)
    assert person.thirteen not in mail_text(message)

    new_password = f"Noisetier-Bleu-{secrets.randbelow(9000) + 1000}?"
    reset = browsing.new_page()
    reset.goto(link.group(0))
    reset.get_by_role("heading", name="Choisir un nouveau mot de passe", level=1).wait_for()
    shots(reset, "nouveau-mot-de-passe")
    axe_check(reset, "new password")
    reset.get_by_label(re.compile("^Nouveau mot de passe")).fill(new_password)
    reset.get_by_label("Confirmation", exact=True).fill(new_password)
    reset.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    expect(reset.get_by_text("Votre mot de passe est changé")).to_be_visible()
    # The token leaves the address bar (and the history) once used.
    assert "jeton" not in reset.url
    shots(reset, "mot-de-passe-change")
    axe_check(reset, "password changed")

    # The old password no longer opens the account; the new one does.
    reset.get_by_role("main").get_by_role("link", name="Se connecter", exact=True).click()
    reset.get_by_role("heading", name="Se connecter à mon espace privé").wait_for()
    log_in(reset, person.login_nir, person.password)
    expect(
        reset.get_by_text(
            "Numéro de sécurité sociale ou mot de passe incorrect : vérifiez votre saisie."
        )
    ).to_be_visible()
    shots(reset, "ancien-mot-de-passe-refuse")
    log_in(reset, person.login_nir, new_password)
    reset.get_by_role("heading", name="Mes messages", level=1).wait_for()
    shots(reset, "connecte-avec-le-nouveau")

    # The link works once.
    again = browsing.new_page()
    again.goto(link.group(0))
    again.get_by_label(re.compile("^Nouveau mot de passe")).fill(new_password + "x")
    again.get_by_label("Confirmation", exact=True).fill(new_password + "x")
    again.get_by_role("button", name="Enregistrer mon nouveau mot de passe").click()
    expect(again.get_by_text("Ce lien n'est plus valide", exact=False)).to_be_visible()
    shots(again, "lien-deja-utilise")
