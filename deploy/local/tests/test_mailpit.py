"""Mailpit, the local mail catcher: the devstack part starts it, and the client reads what it
received over real SMTP."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import aiosmtplib
import pytest

from devstack.config import DEFAULT_PORTS, StackConfig
from devstack.install import MAILPIT_VERSION, mailpit_version
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
