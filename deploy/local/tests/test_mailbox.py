"""The local mailbox, exercised over real SMTP and HTTP on free ports."""

from __future__ import annotations

import asyncio
import re
import signal
import smtplib
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from devstack.mailbox import RunningMailbox, running_mailbox
from devstack.mailbox_client import MailboxClient, Message

pytestmark = pytest.mark.integration

SENDER = "ne-pas-repondre@msa.fr"
ALICE = "amelie.dupre@exemple.fr"
BOB = "bruno.lefevre@exemple.fr"
SUBJECT = "Vous avez reçu une réponse de votre caisse – MSA Bourgogne"
TEXT = "Bonjour Amélie,\n\nVotre caisse a répondu à votre demande « Attestation ».\n"
HTML = (
    "<!DOCTYPE html><html><body><p>Bonjour <strong>Amélie</strong>,</p>"
    "<p>Votre caisse a répondu à votre demande « Attestation ».</p></body></html>\n"
)


def notification(
    to: str | list[str] = ALICE,
    subject: str = SUBJECT,
    text: str = TEXT,
    html: str | None = HTML,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"MSA Bourgogne <{SENDER}>"
    msg["To"] = ", ".join(to) if isinstance(to, list) else to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="msa.fr")
    msg["List-Unsubscribe"] = "<https://mes-messages.msa.fr/preferences/notifications>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


async def send(
    mailbox: RunningMailbox, msg: EmailMessage, to_addrs: list[str] | None = None
) -> dict[str, tuple[int, bytes]]:
    def deliver() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=10) as smtp:
            return smtp.send_message(msg, to_addrs=to_addrs)

    return await asyncio.to_thread(deliver)


@pytest.fixture
async def mailbox(tmp_path: Path) -> AsyncIterator[RunningMailbox]:
    async with running_mailbox(tmp_path / "mailbox") as running:
        yield running


@pytest.fixture
async def client(mailbox: RunningMailbox) -> AsyncIterator[MailboxClient]:
    async with MailboxClient(mailbox.base_url) as mailbox_client:
        yield mailbox_client


@pytest.fixture
async def http(mailbox: RunningMailbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=mailbox.base_url, timeout=10) as http_client:
        yield http_client


async def test_multipart_french_message_is_stored_and_decoded(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    msg = notification()
    await send(mailbox, msg)

    [message] = await client.wait_for(to=ALICE, timeout=10)

    assert message["subject"] == SUBJECT
    assert message["text"] == TEXT
    assert message["html"] == HTML
    assert message["envelope_from"] == SENDER
    assert message["envelope_to"] == [ALICE]
    assert message["from"] == f"MSA Bourgogne <{SENDER}>"
    assert message["to"] == ALICE
    assert message["message_id"] == msg["Message-ID"]
    assert message["headers"]["Subject"] == SUBJECT
    assert message["headers"]["List-Unsubscribe"] == msg["List-Unsubscribe"]
    assert datetime.fromisoformat(message["received_at"]).utcoffset() is not None

    [entry] = await client.list()
    assert entry["id"] == message["id"]
    assert "text" not in entry
    raw = await client.raw(message["id"])
    assert raw == (mailbox.store_dir / f"{message['id']}.eml").read_bytes()
    assert entry["size"] == len(raw)
    assert raw.startswith(b"From: MSA Bourgogne")


async def test_international_address_and_8bit_body_are_accepted(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    international = "amélie@exemple.fr"
    await send(mailbox, notification(to=international, html=None))
    raw_8bit = (
        f"From: {SENDER}\r\nTo: {BOB}\r\nSubject: 8 bits\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Déjà reçu, merci.\r\n"
    ).encode()

    def deliver_8bit() -> None:
        with smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=10) as smtp:
            smtp.sendmail(SENDER, [BOB], raw_8bit, mail_options=["BODY=8BITMIME"])

    await asyncio.to_thread(deliver_8bit)

    [utf8_message] = await client.wait_for(to="AMÉLIE@exemple.fr", timeout=10)
    assert utf8_message["envelope_to"] == [international]
    assert utf8_message["text"] == TEXT
    [eight_bit] = await client.wait_for(to=BOB, timeout=10)
    assert eight_bit["text"] == "Déjà reçu, merci.\n"
    assert eight_bit["html"] is None


async def test_list_filters_by_recipient_and_since(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    await send(mailbox, notification(to=ALICE, subject="premier"))
    [first] = await client.wait_for(to=ALICE, timeout=10)
    await send(mailbox, notification(to=BOB, subject="deuxième"))
    await send(mailbox, notification(to=ALICE, subject="troisième"))
    await client.wait_for(count=3, timeout=10)

    assert [m["subject"] for m in await client.list()] == ["troisième", "deuxième", "premier"]
    assert [m["subject"] for m in await client.list(to=ALICE.upper())] == [
        "troisième",
        "premier",
    ]
    assert [m["subject"] for m in await client.list(since=first["id"])] == [
        "troisième",
        "deuxième",
    ]


async def test_wait_for_polls_until_a_matching_message_arrives(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    def is_the_reply(message: Message) -> bool:
        return "répondu" in (message["text"] or "")

    waiting = asyncio.create_task(client.wait_for(is_the_reply, to=ALICE, timeout=10))
    await send(mailbox, notification(subject="Autre chose", text="Rien à voir.\n"))
    await send(mailbox, notification())

    [found] = await waiting
    assert found["subject"] == SUBJECT
    assert len(await client.list(to=ALICE)) == 2


async def test_wait_for_times_out_describing_the_mailbox(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    await send(mailbox, notification(to=BOB, subject="Pour quelqu'un d'autre"))
    await client.wait_for(to=BOB, timeout=10)

    with pytest.raises(TimeoutError) as timed_out:
        await client.wait_for(to=ALICE, timeout=0.3, interval=0.05)

    description = str(timed_out.value)
    assert f"1 message(s) to {ALICE}" in description
    assert "holds 1 message(s)" in description
    assert BOB in description
    assert "Pour quelqu'un d'autre" in description


async def test_pages_escape_subjects_and_forbid_scripts(
    mailbox: RunningMailbox, client: MailboxClient, http: httpx.AsyncClient
) -> None:
    hostile = "<script>alert('objet')</script> Relevé"
    hostile_html = '<p onclick="x()">Bonjour</p><script>alert("corps")</script>\n'
    await send(mailbox, notification(subject=hostile, html=hostile_html))
    [message] = await client.wait_for(timeout=10)

    index = await http.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "<title>Boîte de réception locale</title>" in index.text
    for column in ("Reçu le", "De", "À", "Objet"):
        assert f"<th>{column}</th>" in index.text
    assert "&lt;script&gt;alert(&#x27;objet&#x27;)&lt;/script&gt; Relevé" in index.text
    assert "<script" not in index.text
    assert f'href="messages/{message["id"]}"' in index.text
    received = datetime.fromisoformat(message["received_at"]).astimezone(ZoneInfo("Europe/Paris"))
    assert received.strftime("%d/%m/%Y %H:%M:%S") in index.text

    page = await http.get(f"/messages/{message['id']}")
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "&lt;script&gt;alert(&#x27;objet&#x27;)&lt;/script&gt;" in page.text
    iframe = re.search(r"<iframe ([^>]*)>", page.text)
    assert iframe is not None
    assert "sandbox=" in iframe.group(1)
    assert "allow-scripts" not in iframe.group(1)
    assert "allow-same-origin" not in iframe.group(1)
    srcdoc = re.search(r'srcdoc="([^"]*)"', iframe.group(1))
    assert srcdoc is not None
    assert "&lt;script&gt;alert(&quot;corps&quot;)&lt;/script&gt;" in srcdoc.group(1)
    assert "<pre>Bonjour Amélie," in page.text
    assert "https://mes-messages.msa.fr/preferences/notifications" in page.text
    assert f'href="{message["id"]}.eml"' in page.text

    for response in (index, page):
        policy = response.headers["content-security-policy"]
        directives = {
            name: value
            for name, _, value in (d.strip().partition(" ") for d in policy.split(";"))
            if name
        }
        assert directives["default-src"] == "'none'"
        assert "script-src" not in directives
        assert response.headers["x-content-type-options"] == "nosniff"

    raw = await http.get(f"/messages/{message['id']}.eml")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "message/rfc822"
    assert raw.content == (mailbox.store_dir / f"{message['id']}.eml").read_bytes()


async def test_unknown_message_is_404_json(http: httpx.AsyncClient) -> None:
    for path in (
        "/api/messages/20000101T000000000000-000000",
        "/messages/20000101T000000000000-000000",
        "/messages/20000101T000000000000-000000.eml",
        "/messages/..%2F..%2Fetc%2Fpasswd.eml",
    ):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()


async def test_healthz(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_tempfail_refuses_with_451_and_stores_nothing(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    setting = await client.set_faults("tempfail")
    assert setting == {"mode": "tempfail", "recipient": None, "count": None}
    assert await client.get_faults() == setting

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await send(mailbox, notification(subject="refusé"))
    code, reply = refused.value.recipients[ALICE]
    assert code == 451
    assert reply == b"4.3.0 Temporary failure, try again later"

    # The fault stays until changed.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await send(mailbox, notification(subject="refusé encore"))

    await client.set_faults("none")
    await send(mailbox, notification(subject="accepté"))
    delivered = await client.wait_for(timeout=10)
    assert [m["subject"] for m in delivered] == ["accepté"]
    assert len(list(mailbox.store_dir.glob("*.eml"))) == 1


async def test_permfail_for_one_recipient_spares_the_others(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    await client.set_faults("permfail", recipient=BOB.upper())

    refused = await send(mailbox, notification(to=[ALICE, BOB]))
    assert refused == {BOB: (550, b"5.1.1 Mailbox unavailable")}
    with pytest.raises(smtplib.SMTPRecipientsRefused) as only_bob:
        await send(mailbox, notification(to=BOB, subject="pour Bruno seul"))
    assert only_bob.value.recipients == {BOB: (550, b"5.1.1 Mailbox unavailable")}

    [message] = await client.wait_for(to=ALICE, timeout=10)
    assert message["envelope_to"] == [ALICE]
    assert [m["id"] for m in await client.list()] == [message["id"]]
    assert await client.list(to=BOB) == []


async def test_fault_count_restores_normal_after_n_transactions(
    mailbox: RunningMailbox, client: MailboxClient
) -> None:
    await client.set_faults("tempfail", count=2)

    # Both recipients of one transaction are refused, for one unit of the count.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as first:
        await send(mailbox, notification(to=[ALICE, BOB], subject="essai 1"))
    assert {code for code, _ in first.value.recipients.values()} == {451}
    assert set(first.value.recipients) == {ALICE, BOB}
    assert (await client.get_faults())["count"] == 1

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await send(mailbox, notification(subject="essai 2"))
    assert await client.get_faults() == {"mode": "none", "recipient": None, "count": None}

    await send(mailbox, notification(subject="essai 3"))
    delivered = await client.wait_for(timeout=10)
    assert [m["subject"] for m in delivered] == ["essai 3"]


async def test_faults_reject_unknown_modes(http: httpx.AsyncClient) -> None:
    for body in ({"mode": "explode"}, {"mode": "tempfail", "count": 0}):
        response = await http.post("/api/faults", json=body)
        assert response.status_code == 422, body
    assert (await http.get("/api/faults")).json()["mode"] == "none"


async def test_delete_empties_the_store(
    mailbox: RunningMailbox, client: MailboxClient, http: httpx.AsyncClient
) -> None:
    await send(mailbox, notification(subject="un"))
    await send(mailbox, notification(subject="deux"))
    await client.wait_for(count=2, timeout=10)

    await client.clear()

    assert await client.list() == []
    assert list(mailbox.store_dir.iterdir()) == []

    await send(mailbox, notification(subject="trois"))
    [message] = await client.wait_for(timeout=10)
    form = await http.post("/messages/delete")
    assert form.status_code == 303
    assert httpx.URL(f"{mailbox.base_url}/messages/delete").join(
        form.headers["location"]
    ) == httpx.URL(f"{mailbox.base_url}/")
    assert await client.list() == []
    assert (await http.get(f"/api/messages/{message['id']}")).status_code == 404
    assert "Aucun message." in (await http.get("/")).text


async def test_cross_site_form_cannot_delete(
    mailbox: RunningMailbox, client: MailboxClient, http: httpx.AsyncClient
) -> None:
    await send(mailbox, notification())
    await client.wait_for(timeout=10)

    response = await http.post("/messages/delete", headers={"Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert len(await client.list()) == 1


async def test_store_survives_a_restart(tmp_path: Path) -> None:
    store = tmp_path / "mailbox"
    async with running_mailbox(store) as first_run, MailboxClient(first_run.base_url) as client:
        await send(first_run, notification())
        [before] = await client.wait_for(timeout=10)

    async with running_mailbox(store) as second_run, MailboxClient(second_run.base_url) as client:
        [entry] = await client.list()
        assert entry["id"] == before["id"]
        after = await client.get(entry["id"])
        assert after == before

        await send(second_run, notification(subject="après redémarrage"))
        [newest, oldest] = await client.list()
        assert newest["subject"] == "après redémarrage"
        assert newest["id"] > oldest["id"] == before["id"]


async def test_message_without_index_entry_is_recovered_on_start(tmp_path: Path) -> None:
    store = tmp_path / "mailbox"
    async with running_mailbox(store) as first_run, MailboxClient(first_run.base_url) as client:
        await send(first_run, notification())
        [before] = await client.wait_for(timeout=10)
    (store / f"{before['id']}.json").unlink()
    (store / f".{before['id']}.eml.tmp").write_bytes(b"half written")

    async with running_mailbox(store) as second_run, MailboxClient(second_run.base_url) as client:
        [after] = await client.list()
        assert after["id"] == before["id"]
        assert after["subject"] == SUBJECT
        assert after["envelope_to"] == [ALICE]
    assert sorted(p.suffix for p in store.iterdir()) == [".eml", ".json"]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_command_line_stops_promptly_on_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devstack.mailbox",
        "--smtp-port",
        "0",
        "--http-port",
        "0",
        "--store",
        str(tmp_path / "mailbox"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(30):
            while not (line := (await process.stdout.readline()).decode()).count(" listening "):
                assert line, "the mailbox exited before listening"
        match = re.search(r"smtp=(\S+):(\d+) http=(\S+)", line)
        assert match is not None, line
        async with httpx.AsyncClient(base_url=match.group(3)) as http:
            assert (await http.get("/healthz")).status_code == 200

        loop = asyncio.get_running_loop()
        signalled_at = loop.time()
        process.send_signal(stop_signal)
        async with asyncio.timeout(5):
            returncode = await process.wait()
        assert loop.time() - signalled_at < 1.0
        assert returncode == 0
        output = (await process.stdout.read()).decode()
        assert "Traceback" not in output
        assert " stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
