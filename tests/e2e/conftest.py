"""Browser tests: Debian's Chromium, driven by Playwright, through the gateway, against the
whole local stack (four services, Kafka, PostgreSQL, Mailpit and the FranceConnect-like
provider), started by the devstack fixtures when it is not running. ``E2E_GATEWAY_URL`` and
``E2E_MAILBOX_URL`` point them at a product already running instead (the images' containers,
``deploy/tests/test_deploy_images_built.py``), ``E2E_OIDC_ORIGIN`` at its identity provider.

Every test gets fresh browser contexts that:
- answer every request to another site (an online service, franceconnect.gouv.fr) with a stub
  page, so no test leaves this machine;
- fail the test when Chromium reports a Content-Security-Policy violation;
- save screenshots of each step under ``test-results/screenshots/<test>/`` (the folder is
  printed at the end of the run).
"""

from __future__ import annotations

import asyncio
import builtins
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from devstack.config import StackConfig
from devstack.mailpit import MailpitClient, Message
from devstack.pytest_plugin import IN_CI, LocalStack, unavailable
from devstack.stack import Stack
from tests.e2e.enrolment import Letters

ROOT = StackConfig().root
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
T = TypeVar("T")
LOCAL_ORIGIN = re.compile(r"^https?://(localhost|127\.0\.0\.1)(:\d+)?(/|$)")


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class E2EStack:
    stack: Stack
    base_url: str
    mailbox_url: str
    oidc_origin: str


def _ensure_frontends_built() -> None:
    frontends = ROOT / "frontends"
    if all((frontends / app / "dist" / "index.html").exists() for app in ("portal", "backoffice")):
        return
    if shutil.which("npm") is None:
        unavailable("the web apps", "they are not built and npm is missing: run `make frontends`")
    if not (frontends / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=frontends, check=True)
    subprocess.run(["npm", "run", "build", "--silent"], cwd=frontends, check=True)


@pytest.fixture(scope="session")
def e2e_stack(local_stack: LocalStack) -> E2EStack:
    if not Path(CHROMIUM).exists():
        unavailable(
            "Chromium", f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
        )
    if gateway_url := os.environ.get("E2E_GATEWAY_URL"):
        # A product already running elsewhere (the images' containers: deploy/images/run-images):
        # nothing is started, the browser goes through that gateway and reads that Mailpit.
        return E2EStack(
            stack=local_stack.stack,
            base_url=gateway_url.rstrip("/"),
            mailbox_url=os.environ["E2E_MAILBOX_URL"].rstrip("/"),
            oidc_origin=os.environ.get("E2E_OIDC_ORIGIN", "http://localhost:9100"),
        )
    _ensure_frontends_built()
    # The identity provider too: no service needs it to start (FranceConnect is then said to
    # be unavailable), but the journeys through FranceConnect do.
    stack = local_stack.ensure("gateway", "oidc")
    config = stack.config
    return E2EStack(
        stack=stack,
        base_url=config.gateway_url,
        mailbox_url=config.mailbox_url,
        oidc_origin=f"http://localhost:{config.ports['oidc']}",
    )


@dataclass(frozen=True)
class Account:
    given_name: str
    family_name: str
    fund: str
    password: str
    email: str
    nir: str = ""
    role: str = "member"

    @property
    def login_nir(self) -> str:
        """The 13 characters, typed with spaces as people do."""
        n = self.nir[:13]
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]}"


class DemoAccounts:
    """The demo accounts the auth service seeds in the local environment."""

    def __init__(self, path: Path) -> None:
        data = yaml.safe_load(path.read_text("utf-8"))
        self.members = [
            Account(
                given_name=row["given_name"],
                family_name=row["family_name"],
                fund=row["fund"],
                password=row["password"],
                email=row["email"],
                nir=str(row["nir"]),
            )
            for row in data["members"]
        ]
        self.agents = [
            Account(
                given_name=row["given_name"],
                family_name=row["family_name"],
                fund=row["fund"],
                password=row["password"],
                email=row["email"],
                role=row["role"],
            )
            for row in data["agents"]
        ]

    def member(self, given_name: str) -> Account:
        return next(m for m in self.members if m.given_name == given_name)

    def agent(self, role: str, fund: str = "NPC") -> Account:
        return next(a for a in self.agents if a.role == role and a.fund == fund)


@pytest.fixture(scope="session")
def accounts() -> DemoAccounts:
    return DemoAccounts(ROOT / "services" / "auth" / "src" / "auth" / "seed" / "demo_accounts.yaml")


# --------------------------------------------------------------------------- mailbox


class Mailbox:
    """Mailpit's API for these synchronous tests: devstack's client, run on a thread of its own
    (Playwright's synchronous API owns this thread's event loop)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._worker = ThreadPoolExecutor(max_workers=1)

    def _ask(self, question: Callable[[MailpitClient], Awaitable[T]]) -> T:
        async def ask() -> T:
            async with MailpitClient(self.base_url) as client:
                return await question(client)

        return self._worker.submit(asyncio.run, ask()).result()

    def list(self, to: str) -> builtins.list[Message]:
        """Summaries of the emails to ``to``, newest first (``subject``, ``message_id``...)."""
        return self._ask(lambda client: client.list(to=to))

    def wait_for(
        self, to: str, predicate: Callable[[Message], bool], timeout: float = 60
    ) -> Message:
        """The newest email to ``to`` that matches (``subject``, ``text``, ``html``...)."""
        found = self._ask(lambda client: client.wait_for(predicate, to=to, timeout=timeout))
        return found[-1]

    def close(self) -> None:
        self._worker.shutdown()


@pytest.fixture(scope="session")
def mailbox(e2e_stack: E2EStack) -> Iterator[Mailbox]:
    box = Mailbox(e2e_stack.mailbox_url)
    yield box
    box.close()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright, e2e_stack: E2EStack) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def _stub_other_sites(route: Route) -> None:
    url = route.request.url
    if LOCAL_ORIGIN.match(url):
        route.continue_()
        return
    route.fulfill(
        status=200,
        content_type="text/html; charset=utf-8",
        body=f"<!doctype html><html lang='fr'><title>Site externe</title><h1>Site externe simulé</h1><p>{url}</p></html>",
    )


@dataclass
class Browsing:
    """Opens pages in fresh contexts and checks each for CSP violations."""

    browser: Browser
    base_url: str
    contexts: list[BrowserContext] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        context.route("**/*", _stub_other_sites)
        self.contexts.append(context)
        page = context.new_page()

        def on_console(message: Any) -> None:
            if (
                "Content Security Policy" in message.text
                or "Content-Security-Policy" in message.text
            ):
                self.csp_violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, e2e_stack: E2EStack) -> Iterator[Browsing]:
    session = Browsing(browser, e2e_stack.base_url)
    yield session
    session.close()
    assert not session.csp_violations, "Content-Security-Policy violations:\n" + "\n".join(
        session.csp_violations
    )


# --------------------------------------------------------------------------- screenshots


class Screenshots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)

    def __call__(self, page: Page, step: str) -> None:
        self.count += 1
        plain = unicodedata.normalize("NFKD", step).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{slug}.png"), full_page=True)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    return Screenshots(SCREENSHOTS / name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SCREENSHOTS.exists() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"Screenshots of every step: {SCREENSHOTS}")


# --------------------------------------------------------------------------- accessibility

_axe = Axe()


def assert_accessible(page: Page, what: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = _axe.run(page)
    serious = [
        violation
        for violation in results.response["violations"]
        if violation.get("impact") in ("serious", "critical")
    ]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in v["nodes"][:5]
        )
        for v in serious
    )
    assert not serious, f"accessibility violations on {what} ({page.url}):\n{details}"


@pytest.fixture
def axe_check() -> Callable[[Page, str], None]:
    return assert_accessible


def focused_text(page: Page) -> str:
    return str(
        page.evaluate("() => (document.activeElement && document.activeElement.textContent) || ''")
    )


@pytest.fixture
def focus_of() -> Callable[[Page], str]:
    return focused_text


__all__ = ["IN_CI"]


# --------------------------------------------------------------------------- journeys

THEME_FAMILLE = "Famille, Allocations familiales, aides au logement"
SUBJECT_AF = "Allocations familiales"
MOTIF_CHANGEMENT = "Mon changement de situation"
MOTIF_AUTRE = "Autre"
REFERENCE = re.compile(r"[A-Z]{3}-\d{4}-\d{6}")


class Portal:
    """What a member does in the portal, step by step, as a person would."""

    def login(self, page: Page, member: Account) -> None:
        """Fills the login page the browser is on, and submits it."""
        page.get_by_role("textbox", name="Numéro de sécurité sociale").fill(member.login_nir)
        page.get_by_label("Mot de passe", exact=True).fill(member.password)
        page.get_by_role("button", name="Se connecter", exact=True).click()

    def open_messages(self, page: Page, member: Account) -> None:
        page.goto("/messages")
        page.wait_for_url("**/connexion?retour=*")
        self.login(page, member)
        page.get_by_role("heading", name="Mes messages", level=1).wait_for()

    def choose_and_validate(self, page: Page, label: str) -> None:
        # DSFR draws its own radio buttons: a person clicks the label.
        page.locator(
            "fieldset label.fr-label", has_text=re.compile(f"^{re.escape(label)}$")
        ).click()
        expect(page.get_by_role("radio", name=label, exact=True)).to_be_checked()
        page.get_by_role("button", name="Valider", exact=True).click()

    def step_heading(self, page: Page, title: str) -> Any:
        heading = page.get_by_role("heading", level=2, name=re.compile(re.escape(title)))
        heading.wait_for()
        return heading

    def to_message_step(self, page: Page, motif: str = MOTIF_AUTRE) -> None:
        """From "Mes messages" to step 5 with Famille / Allocations familiales / motif."""
        page.get_by_role("link", name="Écrire un nouveau message").click()
        self.step_heading(page, "Mon message concerne")
        self.choose_and_validate(page, THEME_FAMILLE)
        self.step_heading(page, "Sujet")
        self.choose_and_validate(page, SUBJECT_AF)
        self.step_heading(page, "Motif")
        self.choose_and_validate(page, motif)
        if motif == MOTIF_CHANGEMENT:
            page.get_by_role("dialog").get_by_role("button", name="Fermer", exact=True).click()
        self.step_heading(page, "Mon message")

    def message_box(self, page: Page) -> Any:
        return page.get_by_role("textbox", name=re.compile("^Mon message"))


class Backoffice:
    def login(self, page: Page, agent: Account) -> None:
        page.goto("/backoffice/")
        page.wait_for_url("**/backoffice/connexion*")
        page.get_by_role("textbox", name="Adresse électronique professionnelle").fill(agent.email)
        page.get_by_label("Mot de passe", exact=True).fill(agent.password)
        page.get_by_role("button", name="Se connecter", exact=True).click()
        page.get_by_role("heading", name="File des demandes", level=1).wait_for()

    def search(self, page: Page, typed: str) -> None:
        """Types ``typed`` in « Référence de la demande » and presses Enter, as an agent does
        with the member on the phone; waits for the outcome. However long the queue, the
        thread is found this way, never by its place on the queue's first page."""
        if not page.url.split("?")[0].endswith("/backoffice/"):
            page.goto("/backoffice/")
        box = page.get_by_role("searchbox", name="Référence de la demande")
        box.fill(typed)
        box.press("Enter")
        page.wait_for_url(re.compile(r"/backoffice/\?reference="))
        page.locator("#resultat-recherche p").wait_for()

    def find(self, page: Page, reference: str) -> Any:
        """The queue's row of the thread ``reference``, found by searching it."""
        self.search(page, reference)
        row = page.locator(f"tr[data-reference='{reference}']")
        expect(row).to_be_visible()
        return row

    def open_thread(self, page: Page, reference: str) -> None:
        """Finds the thread by its reference and opens it."""
        self.find(page, reference).get_by_role("link", name=reference).click()
        page.get_by_role("heading", name=f"Demande {reference}").wait_for()


@pytest.fixture
def portal() -> Portal:
    return Portal()


@pytest.fixture
def backoffice() -> Backoffice:
    return Backoffice()


@pytest.fixture(scope="session")
def letters(e2e_stack: E2EStack) -> Letters:
    if os.environ.get("E2E_GATEWAY_URL"):
        return Letters(Path(os.environ.get("E2E_LETTERS_DIR") or "letters"))
    config = e2e_stack.stack.config
    return Letters(
        config.home / "letters", os.environ.get("AUTH_DATABASE_URL") or config.database_url("auth")
    )
