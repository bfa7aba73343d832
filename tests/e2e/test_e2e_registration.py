"""A person creates their account, activates it with the code emailed to them and logs in;
a new code asked for too soon is refused with when to retry; a wrong code is refused beside
its field; a forgotten password is replaced through the link emailed, after which only the
new one opens the account, and the link works once.

Each run makes a person of its own: a NIR with a valid key that agrees with the birth date,
and an address nobody else uses, so runs never meet each other's accounts or emails.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from playwright.sync_api import Page, expect

from auth.domain import nir as nir_rules
from devstack.mailpit import MailpitClient, Message

pytestmark = pytest.mark.e2e

FUND_CODE = "NPC"
FUND_NAME = "MSA Nord-Pas de Calais"
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    birth_date: date
    nir_with_key: str
    email: str
    password: str

    @property
    def thirteen(self) -> str:
        return self.nir_with_key[:13]

    @property
    def card_nir(self) -> str:
        """The 15 characters grouped as on the carte Vitale: 1 80 03 59 350 123 45."""
        n = self.nir_with_key
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"

    @property
    def login_nir(self) -> str:
        n = self.thirteen
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]}"


def new_person() -> Person:
    """Someone born in mainland France, with a NIR the auth service's own rules accept."""
    birth = date(1950 + secrets.randbelow(50), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28))
    sex = secrets.choice("12")
    department = f"{1 + secrets.randbelow(95):02d}"
    if department == "20":  # Corsica is 2A or 2B since 1976
        department = "2B"
    commune = f"{1 + secrets.randbelow(989):03d}"
    order = f"{1 + secrets.randbelow(999):03d}"
    thirteen = f"{sex}{birth.year % 100:02d}{birth.month:02d}{department}{commune}{order}"
    fifteen = f"{thirteen}{nir_rules.key_of(thirteen):02d}"
    parsed = nir_rules.parse_with_key(fifteen)
    assert parsed.matches_birth_date(birth), "the test made a NIR the service would refuse"
    tag = secrets.token_hex(4)
    return Person(
        given_name="Maëlle",
        family_name="INSCRITE",
        birth_date=birth,
        nir_with_key=fifteen,
        email=f"maelle.{tag}@exemple.fr",
        password=f"Prairie-Sureau-{secrets.randbelow(9000) + 1000}!",
    )


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


def activation_code(mailbox_url: str, person: Person, *, nth: int = 1) -> str:
    """The code of the ``nth`` activation email (a new code replaces the one before)."""
    message = wait_for_mail(
        mailbox_url,
        person.email,
        lambda m: SIX_DIGITS.search(m.get("text", "")) is not None,
        count=nth,
    )
    match = SIX_DIGITS.search(message["text"])
    assert match is not None
    code = match.group(1)
    everything = mail_text(message)
    # The code is the one secret the email carries.
    for secret in (person.password, person.thirteen, person.nir_with_key, person.login_nir):
        assert secret not in everything, "the activation email must carry no secret but the code"
    assert person.birth_date.isoformat() not in everything
    return code


def fill_registration(page: Page, person: Person) -> None:
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(person.card_nir)
    page.get_by_label("Date de naissance").fill(person.birth_date.isoformat())
    page.get_by_role("textbox", name="Prénom").fill(person.given_name)
    page.get_by_role("textbox", name="Nom", exact=True).fill(person.family_name)
    page.get_by_role("textbox", name="Adresse électronique").fill(person.email)
    page.get_by_role("combobox", name="Ma caisse MSA").select_option(label=FUND_NAME)
    # The labels carry their hints: "Mot de passe Au moins 12 caractères ...".
    page.get_by_label(re.compile("^Mot de passe")).fill(person.password)
    page.get_by_label("Confirmation du mot de passe", exact=True).fill(person.password)


def log_in(page: Page, login_nir: str, password: str) -> None:
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(login_nir)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()


def test_a_person_creates_activates_and_opens_their_account(browsing, e2e_stack, shots, axe_check):
    person = new_person()
    page = browsing.new_page()

    # From the login page to the registration form.
    page.goto("/connexion")
    page.get_by_role("link", name="Créer mon espace").click()
    page.get_by_role("heading", name="Créer mon espace privé", level=1).wait_for()
    expect(page.get_by_role("combobox", name="Ma caisse MSA")).to_contain_text(FUND_NAME)
    shots(page, "inscription")
    axe_check(page, "registration")
    fill_registration(page, person)
    shots(page, "inscription-remplie")
    page.get_by_role("button", name="Créer mon espace", exact=True).click()

    # The activation page, the number already there, the address the code went to.
    page.wait_for_url("**/inscription/activation?nouveau=1")
    page.get_by_role("heading", name="Activer mon espace", level=1).wait_for()
    expect(page.get_by_text(f"Un code d’activation a été envoyé à {person.email}.")).to_be_visible()
    nir_field = page.get_by_role("textbox", name="Numéro de sécurité sociale")
    expect(nir_field).to_have_value(person.thirteen)
    shots(page, "activation")
    axe_check(page, "activation")

    # The code arrives; the person asks for another one anyway, twice: the second request
    # comes too soon and says when to retry (one a minute). The newest code is the one valid.
    activation_code(e2e_stack.mailbox_url, person)
    page.get_by_role("button", name="Recevoir un nouveau code").click()
    expect(page.get_by_text("un nouveau code vient d’être envoyé par courriel")).to_be_visible()
    page.get_by_role("button", name="Recevoir un nouveau code").click()
    expect(
        page.get_by_role("alert").filter(has_text="Une demande vient d'être faite")
    ).to_contain_text(re.compile(r"réessayez dans \d+ secondes"))
    shots(page, "nouveau-code-trop-tot")
    code = activation_code(e2e_stack.mailbox_url, person, nth=2)

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

    # Login with the 13 characters and the password: "Mes messages", in the person's fund.
    page.get_by_role("main").get_by_role("link", name="Se connecter", exact=True).click()
    page.get_by_role("heading", name="Se connecter à mon espace privé").wait_for()
    log_in(page, person.login_nir, person.password)
    page.get_by_role("heading", name="Mes messages", level=1).wait_for()
    expect(page.locator(".fr-header__service-tagline")).to_have_text(FUND_NAME)
    expect(page.get_by_role("link", name="Écrire un nouveau message")).to_be_visible()
    shots(page, "mes-messages")
    axe_check(page, "the new member's threads")


def register_through_the_api(base_url: str, mailbox_url: str, person: Person) -> None:
    """An active account made as the portal makes it (same requests), without the pages."""
    with httpx.Client(base_url=base_url, headers={"Origin": base_url}, timeout=30) as client:
        created = client.post(
            "/api/auth/members",
            json={
                "nir": person.nir_with_key,
                "birth_date": person.birth_date.isoformat(),
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "fund": FUND_CODE,
                "password": person.password,
            },
        )
        assert created.status_code == 202, created.text
        code = activation_code(mailbox_url, person)
        activated = client.post(
            "/api/auth/members/activation", json={"nir": person.thirteen, "code": code}
        )
        assert activated.status_code == 204, activated.text


def test_a_forgotten_password_is_replaced_through_the_emailed_link(
    browsing, e2e_stack, shots, axe_check
):
    person = new_person()
    register_through_the_api(e2e_stack.base_url, e2e_stack.mailbox_url, person)
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
