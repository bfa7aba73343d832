"""Mailpit, the local mail catcher: the devstack part starts it, and the client reads what it
received over real SMTP; its web page is built in, and built once."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from devstack import install
from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.install import (
    MAILPIT_VERSION,
    MAILPIT_WEB_PACKAGES,
    ensure_mailpit,
    mailpit_build,
    mailpit_version,
)
from devstack.mailpit import MailpitClient
from devstack.parts import Mailbox, StartFailure, wait_ready
from devstack.process import port_open
from devstack.pytest_plugin import RunningMailpit, unavailable
from servicekit.testing import free_port

pytestmark = pytest.mark.integration

SENDER = "ne-pas-repondre@msa.fr"
SUBJECT = "Vous avez reçu une réponse de votre caisse – MSA Bourgogne"
TEXT = "Bonjour Amélie,\n\nVotre caisse a répondu à votre demande « Attestation ».\n"
HTML = "<p>Bonjour <strong>Amélie</strong>,</p><p>Votre caisse a répondu.</p>\n"


def address(name: str) -> str:
    return f"{name}.{secrets.token_hex(4)}@exemple.fr"


def notification(to: str, subject: str = SUBJECT) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"MSA Bourgogne <{SENDER}>"
    message["To"] = f"Amélie Dupré <{to}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now().astimezone())
    message["Message-ID"] = make_msgid(domain="msa.fr")
    message["List-Unsubscribe"] = "<https://mes-messages.msa.fr/preferences/notifications>"
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


async def send(
    mailpit: RunningMailpit, message: EmailMessage, recipients: list[str] | None = None
) -> None:
    await aiosmtplib.send(
        message, hostname=mailpit.smtp_host, port=mailpit.smtp_port, recipients=recipients
    )


@pytest.fixture
async def client(mailbox: RunningMailpit) -> AsyncIterator[MailpitClient]:
    async with MailpitClient(mailbox.base_url) as mailpit:
        yield mailpit


async def test_an_email_sent_over_smtp_is_read_through_the_api(
    mailbox: RunningMailpit, client: MailpitClient
) -> None:
    to = address("amelie")
    sent = notification(to)
    await send(mailbox, sent)

    [message] = await client.wait_for(to=to.upper(), timeout=10)
    assert message["subject"] == SUBJECT
    assert message["recipients"] == [to]
    assert message["to"] == f"Amélie Dupré <{to}>"
    assert message["from"] == f"MSA Bourgogne <{SENDER}>"
    assert message["message_id"] == sent["Message-ID"]
    assert message["text"] == TEXT
    assert message["html"] == HTML
    # Headers decoded, under the names they were sent with.
    assert message["headers"]["Subject"] == SUBJECT
    assert message["headers"]["List-Unsubscribe"] == sent["List-Unsubscribe"]
    assert "multipart/alternative" in message["headers"]["Content-Type"]
    assert message["date"] == sent["Date"]
    assert message["return_path"] == SENDER

    raw = await client.raw(message["id"])
    assert f"Message-ID: {sent['Message-ID']}".encode() in raw
    assert await client.get(message["id"]) == message


async def test_to_means_this_address_exactly_and_counts_envelope_recipients(
    mailbox: RunningMailpit, client: MailpitClient
) -> None:
    to = address("bruno")
    longer = f"x{to}"
    hidden = address("copie")
    await send(mailbox, notification(longer))
    await send(mailbox, notification(to, subject="premier"))
    await send(mailbox, notification(to, subject="second"), recipients=[to, hidden])

    messages = await client.wait_for(to=to, count=2, timeout=10)
    assert [m["subject"] for m in messages] == ["premier", "second"], "oldest first"
    assert [m["subject"] for m in await client.list(to=to)] == ["second", "premier"]
    [copy] = await client.list(to=hidden)
    assert copy["recipients"] == [to, hidden]
    [only] = await client.wait_for(lambda m: m["subject"] == "premier", to=to, timeout=10)
    assert only["subject"] == "premier"


async def test_waiting_for_what_never_comes_says_what_mailpit_holds(
    mailbox: RunningMailpit, client: MailpitClient
) -> None:
    to = address("claire")
    await send(mailbox, notification(to))
    with pytest.raises(TimeoutError) as raised:
        await client.wait_for(to=to, count=2, timeout=0.5)
    assert f"2 message(s) to {to} not in Mailpit" in str(raised.value)
    assert "1 matching." in str(raised.value)
    assert to in str(raised.value)


# --------------------------------------------------------------------------- the devstack part


@pytest.fixture
def own_mailpit(tmp_path: Path) -> Iterator[Mailbox]:
    """The "mailbox" part, started in a home of its own on free ports."""
    config = replace(
        StackConfig(),
        home=tmp_path / "home",
        ports=dict(DEFAULT_PORTS) | {"smtp": free_port(), "mailbox": free_port()},
    )
    config.ensure_folders()
    part = Mailbox(config)
    try:
        part.prepare()
        part.start()
        wait_ready(part)
    except StartFailure as failure:
        part.stop()
        unavailable("Mailpit", f"{failure.reason} (log: {failure.log})")
    try:
        yield part
    finally:
        part.stop()


async def test_the_part_runs_the_pinned_mailpit_keeps_mail_in_its_home_and_stops(
    own_mailpit: Mailbox,
) -> None:
    config = own_mailpit.config
    assert mailpit_version(config.cache / "bin" / "mailpit") == MAILPIT_VERSION
    assert own_mailpit.running()
    mailpit = RunningMailpit(config.host, config.ports["smtp"], config.mailbox_url)
    to = address("denis")
    await send(mailpit, notification(to))
    async with MailpitClient(mailpit.base_url) as client:
        await client.wait_for(to=to, timeout=10)
        assert own_mailpit.database.is_relative_to(config.home)
        assert own_mailpit.database.exists()

        await client.clear()
        assert await client.list() == []

    assert own_mailpit.stop()
    assert not port_open(config.host, config.ports["smtp"])
    assert not port_open(config.host, config.ports["mailbox"])


# --------------------------------------------------------------------------- the web page


async def test_the_web_page_and_the_script_it_loads_are_served(mailbox: RunningMailpit) -> None:
    if not os.environ.get("MAILPIT_URL"):
        # The session's own Mailpit, built by ensure_mailpit: with its web page unless npm or
        # esbuild failed, which is a skip on a laptop offline and a failure in CI.
        build = mailpit_build(StackConfig())
        assert build is not None, "the mailbox fixture builds Mailpit with ensure_mailpit"
        if not build.web_page:
            unavailable("Mailpit's web page", f"Mailpit was built without it: {build.reason}")
    async with httpx.AsyncClient(base_url=mailbox.base_url, timeout=10) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        [script] = re.findall(r'<script src="([^"]*dist/app\.js[^"]*)"', page.text)

        served = await http.get(script)
    assert served.status_code == 200, f"{script} is not in the binary"
    assert served.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    assert len(served.content) > 100_000, "the whole web app, not a placeholder"


# --------------------------------------------------------------------------- building it once


class Builds:
    """Stands for npm, esbuild and go: records what ensure_mailpit asks for."""

    def __init__(self, *, web_page_fails_with: str | None = None) -> None:
        self.asked: list[str] = []
        self.web_page_fails_with = web_page_fails_with

    def start_without_web_page(self, config: StackConfig, *, log: Path) -> install.GoInstall:
        self.asked.append("without its web page")
        fallback = config.cache / "mailpit-without-web-page"
        fallback.write_bytes(b"mailpit")
        asked = self.asked

        class Done:
            def finish(self) -> Path:
                return fallback

            def stop(self) -> None:
                asked.append("stopped")

        return Done()

    def with_web_page(
        self, config: StackConfig, binary: Path, *, log: Path, first: install.GoInstall
    ) -> None:
        self.asked.append("with its web page")
        if self.web_page_fails_with:
            raise StartFailure(self.web_page_fails_with, log)
        first.finish()
        binary.write_bytes(b"mailpit with its web page")


@pytest.fixture
def own_cache(tmp_path: Path) -> StackConfig:
    """A repository of its own (only the npm packages' files) and an empty cache."""
    root = tmp_path / "repo"
    shutil.copytree(StackConfig().root / MAILPIT_WEB_PACKAGES, root / MAILPIT_WEB_PACKAGES)
    config = replace(StackConfig(), root=root, home=tmp_path / "home", cache=tmp_path / "cache")
    config.ensure_folders()
    return config


def builds(monkeypatch: pytest.MonkeyPatch, **failure: str) -> Builds:
    fake = Builds(**failure)
    monkeypatch.setattr(install, "_start_mailpit_without_web_page", fake.start_without_web_page)
    monkeypatch.setattr(install, "_build_mailpit_with_web_page", fake.with_web_page)
    return fake


ONE_BUILD = ["without its web page", "with its web page", "stopped"]


def test_mailpit_is_built_again_only_when_what_it_is_built_from_changed(
    own_cache: StackConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = builds(monkeypatch)
    log = own_cache.logs / "install.log"
    binary = ensure_mailpit(own_cache, log=log)
    ensure_mailpit(own_cache, log=log)
    assert fake.asked == ONE_BUILD
    assert binary.read_bytes() == b"mailpit with its web page"
    build = mailpit_build(own_cache)
    assert build is not None
    assert (build.version, build.web_page, build.reason) == (MAILPIT_VERSION, True, "")

    lock = own_cache.root / MAILPIT_WEB_PACKAGES / "package-lock.json"
    lock.write_text(lock.read_text() + "\n")
    ensure_mailpit(own_cache, log=log)
    assert fake.asked == ONE_BUILD * 2, "other npm packages"

    binary.write_bytes(b"another mailpit")
    assert mailpit_build(own_cache) is None
    ensure_mailpit(own_cache, log=log)
    assert fake.asked == ONE_BUILD * 3, "another binary in its place"


def test_when_the_web_page_cannot_be_built_mailpit_is_built_without_it_and_says_so_once(
    own_cache: StackConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = builds(monkeypatch, web_page_fails_with="installing the npm packages failed (exit 1)")
    log = own_cache.logs / "install.log"
    binary = ensure_mailpit(own_cache, log=log)
    assert binary.read_bytes() == b"mailpit"
    assert fake.asked == ONE_BUILD
    [warning] = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert "without its web page" in warning
    assert "installing the npm packages failed (exit 1)" in warning
    assert f"delete {binary} to try again" in warning

    build = mailpit_build(own_cache)
    assert build is not None
    assert not build.web_page
    assert build.reason == "installing the npm packages failed (exit 1)"

    ensure_mailpit(own_cache, log=log)
    assert fake.asked == ONE_BUILD
    assert capsys.readouterr().err == ""
