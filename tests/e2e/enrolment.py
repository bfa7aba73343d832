"""Enrolment in the browser tests: a person of the local registry (deploy/local/registry/), the
letters the notifier posted to them (the local outgoing mail), and the portal's registration
pages filled as a person fills them."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from contracts.events.registry import InsuredPersonRegistered
from devstack.registry import everyone, nir_key

#: What the portal says once the registration form is sent, whatever the registry says.
ENROLMENT_ANSWER = (
    "Si ces informations correspondent à une personne couverte par la MSA, un code "
    "d’activation lui sera envoyé par courrier ou à l’adresse électronique connue de votre "
    "caisse."
)
LETTER_CODE = re.compile(r"Code d'activation : (\d{6})")


@dataclass(frozen=True)
class RegistryPerson:
    """Someone of the local registry (deploy/local/registry/) with no account yet, and what
    they type: the number with its key, an address of their own, a password."""

    given_name: str
    family_name: str
    fund: str
    birth_date: date
    nir_with_key: str
    recipient: str
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
        """The 13 characters, typed with spaces as people do."""
        n = self.thirteen
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]}"


def registry_person(
    fund: str = "NPC", *, numbers: Collection[str] = (), letters: Collection[str] = ()
) -> RegistryPerson:
    """A person of the generated population whose code goes by post, picked at random among
    those whose name nobody else in it bears (their letters are known by that name), leaving
    out the ``numbers`` given and the people named in the text of one of the ``letters``."""
    candidates = [
        p for p in everyone() if p.fund == fund and p.email is None and p.birth_date.year < 2000
    ]
    shared = Counter(_recipient(p) for p in candidates)
    chosen = secrets.choice(
        [
            p
            for p in candidates
            if shared[_recipient(p)] == 1
            and p.nir not in numbers
            and not any(_recipient(p) in text for text in letters)
        ]
    )
    tag = secrets.token_hex(4)
    return RegistryPerson(
        given_name=chosen.given_names[0],
        family_name=chosen.usage_name or chosen.family_name,
        fund=fund,
        birth_date=chosen.birth_date,
        nir_with_key=f"{chosen.nir}{nir_key(chosen.nir):02d}",
        recipient=_recipient(chosen),
        email=f"inscription.{tag}@exemple.fr",
        password=f"Prairie-Sureau-{secrets.randbelow(9000) + 1000}!",
    )


def _recipient(person: InsuredPersonRegistered) -> str:
    return f"{' '.join(person.given_names)} {person.usage_name or person.family_name}"


class Letters:
    """The local outgoing mail (``.devstack/letters``): the PDF letters the notifier posted;
    and, given the auth service's database, whether its registry has caught up with someone
    (the local registry is published when the stack starts, and read in a few seconds)."""

    def __init__(self, folder: Path, auth_database_url: str | None = None) -> None:
        self.folder = folder
        self.auth_database_url = auth_database_url
        self._picked: set[str] = set()

    def newcomer(self, fund: str = "NPC") -> RegistryPerson:
        """Someone of the registry nobody has enrolled in this stack yet (no account, no
        letter, not picked before by this run), once the auth service's registry holds them.

        The population offers a few hundred people per fund: without this, a test of a later
        run, or a later test of the same run, could pick someone already enrolled, whose
        registration is then ignored and whose letters are not their own."""
        enrolled = {row["nir"] for row in self._auth_rows("SELECT nir FROM members")}
        person = registry_person(fund, numbers=self._picked | enrolled, letters=self._letters())
        self._picked.add(person.thirteen)
        self.wait_registered(person)
        return person

    def _auth_rows(self, query: str, *arguments: object) -> list[asyncpg.Record]:
        """The rows ``query`` reads from the auth service's database (none when the product
        runs elsewhere). Playwright's synchronous API owns this thread's event loop, so the
        query runs in a thread of its own."""
        if self.auth_database_url is None:
            return []
        dsn = self.auth_database_url.replace("postgresql+asyncpg://", "postgresql://")

        async def fetch() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(dsn)
            try:
                return list(await connection.fetch(query, *arguments))
            finally:
                await connection.close()

        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(asyncio.run, fetch()).result()

    def wait_registered(self, person: RegistryPerson, *, timeout: float = 120) -> None:
        """Until the auth service's registry holds ``person`` (nothing to wait for when the
        product runs elsewhere)."""
        if self.auth_database_url is None:
            return
        deadline = time.monotonic() + timeout
        while not self._auth_rows("SELECT 1 FROM registry_people WHERE nir = $1", person.thirteen):
            if time.monotonic() > deadline:
                raise AssertionError(f"the registry never held {person.recipient}")
            time.sleep(0.5)

    def _letters(self) -> list[str]:
        """The text of each letter in the outgoing mail, oldest first."""
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
        return ["\n".join(page.extract_text() for page in PdfReader(p).pages) for p in paths]

    def codes_for(self, person: RegistryPerson) -> list[str]:
        codes = []
        for text in self._letters():
            found = LETTER_CODE.search(text)
            if person.recipient in text and found:
                codes.append(found.group(1))
        return codes

    def code(self, person: RegistryPerson, *, nth: int = 1, timeout: float = 60) -> str:
        """The code of the ``nth`` letter to ``person`` (a new code replaces the one before)."""
        deadline = time.monotonic() + timeout
        while True:
            codes = self.codes_for(person)
            if len(codes) >= nth:
                return codes[nth - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no letter #{nth} to {person.recipient} in {self.folder}")
            time.sleep(0.2)


def fill_registration(page: Page, person: RegistryPerson) -> None:
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(person.card_nir)
    page.get_by_label("Date de naissance").fill(person.birth_date.isoformat())
    page.get_by_role("textbox", name=re.compile("^Nom")).fill(person.family_name)
    page.get_by_role("textbox", name=re.compile("^Adresse électronique")).fill(person.email)
    # The labels carry their hints: "Mot de passe Au moins 12 caractères ...".
    page.get_by_label(re.compile("^Mot de passe")).fill(person.password)
    page.get_by_label("Confirmation du mot de passe", exact=True).fill(person.password)


def assert_number_not_kept_in_the_browser(page: Page, person: RegistryPerson) -> None:
    """The NIR typed is never stored by the page (sessionStorage, localStorage), nor in a
    cookie a script can read: it lives in the form until sent."""
    stored: str = page.evaluate(
        "() => JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage), "
        "document.cookie])"
    )
    # Spaces, dots and quotes aside (the form accepts the number typed in any of its forms).
    squeezed = "".join(character for character in stored if character.isalnum()).upper()
    assert person.thirteen.upper() not in squeezed, "the NIR is kept in the browser"


def register_in_the_portal(page: Page, person: RegistryPerson, letters: Letters) -> RegistryPerson:
    """Créer mon espace, then activate it with the code of the letter: the person's account."""
    letters.wait_registered(person)
    page.goto("/inscription")
    page.get_by_role("heading", name="Créer mon espace privé", level=1).wait_for()
    fill_registration(page, person)
    assert_number_not_kept_in_the_browser(page, person)
    page.get_by_role("button", name="Créer mon espace", exact=True).click()
    page.wait_for_url("**/inscription/activation?nouveau=1")
    expect(page.get_by_text(ENROLMENT_ANSWER)).to_be_visible()
    assert_number_not_kept_in_the_browser(page, person)
    page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(person.thirteen)
    page.get_by_role("textbox", name=re.compile("^Code d’activation")).fill(letters.code(person))
    page.get_by_role("button", name="Activer mon espace", exact=True).click()
    page.get_by_role("heading", name="Votre espace est activé", level=1).wait_for()
    return person
