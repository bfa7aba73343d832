"""SMTP outages, refusals and late contacts: retried, dead-lettered, replayed, never doubled."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import pytest

from servicekit.testing import eventually
from services.notifier.tests.support import (
    NotifierFactory,
    SmtpSink,
    account_events,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)

pytestmark = pytest.mark.integration

TEMPORARY_REFUSAL = "451 4.3.0 Temporary failure, try again later"
PERMANENT_REFUSAL = "550 5.1.1 Mailbox unavailable"


@pytest.fixture
async def smtp_stub() -> AsyncIterator[SmtpSink]:
    """An SMTP server that refuses whom the test says (Mailpit takes every email)."""
    sink = await SmtpSink().start()
    yield sink
    await sink.stop()


def received_by(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [
        message
        for message in sink.messages
        if address in {recipient.addr_spec for recipient in message["To"].addresses}
    ]


async def smtp_available(notifier: Any) -> float:
    """The notifier's own gauge: 1 while the SMTP server answers, 0 while sending is paused."""
    metrics = (await notifier.client.get("/metrics")).text
    [line] = [line for line in metrics.splitlines() if line.startswith("notifier_smtp_server")]
    return float(line.split()[-1])


async def test_while_smtp_is_down_sending_pauses_and_every_email_goes_once_it_is_back(
    notifier_factory: NotifierFactory,
) -> None:
    sink = SmtpSink()  # not started: connections are refused
    notifier = await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
    await notifier.start()
    members = [(uuid.uuid4(), unique_email()) for _ in range(4)]
    for member_id, address in members:
        await notifier.publish(contact_changed(member_id, address))
    events = [message_submitted(member_id) for member_id, _ in members]
    events += [reply_posted(member_id) for member_id, _ in members[:2]]
    await notifier.publish(*events)

    # The first email to meet the outage pauses sending: it is held without a failure
    # counted against it (no backoff of its own), the others wait unclaimed, and nothing is
    # dead-lettered while the server is away.
    async def paused() -> bool:
        return await smtp_available(notifier) == 0

    await eventually(paused, timeout=30, message="sending paused")
    await notifier.wait_processed(*(event.event_id for event in events))
    rows = [(await notifier.delivery_rows(event.event_id))[0] for event in events]
    # (an email whose contact the projection has not read yet waits for it, as always)
    assert {row["status"] for row in rows} <= {"pending", "waiting_contact"}
    assert {row["failures"] for row in rows} == {0}
    tried = [row for row in rows if row["attempts"] >= 1]
    assert tried, "the outage was met by an email"
    assert all("Connect" in row["last_error"] or "refused" in row["last_error"] for row in tried)

    await sink.start()
    try:
        for event in events:
            await notifier.wait_for_status(event.event_id, "sent", timeout=60)
        expected = {(await notifier.delivery_rows(e.event_id))[0]["message_id"] for e in events}
        counts = Counter(sink.message_ids())
        assert set(counts) == expected, "every email went out"
        assert set(counts.values()) == {1}, "none twice"
        assert await smtp_available(notifier) == 1

        # And the connection is in use again, for what comes next.
        later = message_submitted(members[0][0])
        await notifier.publish(later)
        await notifier.wait_for_status(later.event_id, "sent", timeout=30)
        assert len(sink.messages) == len(events) + 1
    finally:
        await sink.stop()


async def test_a_temporary_refusal_for_one_member_does_not_hold_up_the_others(
    notifier_factory: NotifierFactory, smtp_stub: SmtpSink
) -> None:
    notifier = await notifier_factory(smtp_host="127.0.0.1", smtp_port=smtp_stub.port)
    await notifier.start()
    unlucky, unlucky_address = uuid.uuid4(), unique_email("refuse")
    others = [(uuid.uuid4(), unique_email()) for _ in range(3)]
    smtp_stub.refusals = {unlucky_address: TEMPORARY_REFUSAL}
    for member_id, address in [(unlucky, unlucky_address), *others]:
        await notifier.publish(contact_changed(member_id, address))
    stuck = message_submitted(unlucky)
    await notifier.publish(stuck)
    await notifier.wait_until(lambda row: row["attempts"] >= 1, stuck.event_id)
    for member_id, address in others:
        event = message_submitted(member_id)
        await notifier.publish(event)
        await notifier.wait_for_status(event.event_id, "sent", timeout=30)
        assert len(received_by(smtp_stub, address)) == 1

    row = await notifier.wait_until(lambda row: row["attempts"] >= 2, stuck.event_id)
    assert row["status"] in ("pending", "sending")
    assert (row["last_error"] or "").startswith("451")

    smtp_stub.refusals = {}
    await notifier.wait_for_status(stuck.event_id, "sent", timeout=60)
    assert len(received_by(smtp_stub, unlucky_address)) == 1


async def test_a_permanent_refusal_is_dead_lettered_logged_and_can_be_replayed(
    notifier_factory: NotifierFactory, smtp_stub: SmtpSink
) -> None:
    notifier = await notifier_factory(smtp_host="127.0.0.1", smtp_port=smtp_stub.port)
    await notifier.start()
    member_id, address = uuid.uuid4(), unique_email("inconnu")
    thread_id = uuid.uuid4()
    smtp_stub.refusals = {address: PERMANENT_REFUSAL}
    await notifier.publish(contact_changed(member_id, address))
    reply = reply_posted(member_id, thread_id=thread_id)
    await notifier.publish(reply)

    row = await notifier.wait_for_status(reply.event_id, "dead")
    assert row["attempts"] == 1, "a permanent failure is not retried"

    [dead_letter] = await notifier.dead_letters()
    assert dead_letter.source_event_id == reply.event_id  # type: ignore[attr-defined]
    assert dead_letter.source_event_type == "ReplyPosted"  # type: ignore[attr-defined]
    assert dead_letter.reason.startswith("550")  # type: ignore[attr-defined]
    assert dead_letter.source["thread_id"] == str(thread_id)  # type: ignore[attr-defined]

    # The delivery log, as an agent of the fund sees it.
    agent = notifier.headers(role="agent")
    response = await notifier.client.get(
        "/deliveries", params={"thread_id": str(thread_id)}, headers=agent
    )
    assert response.status_code == 200
    [logged] = response.json()["data"]
    assert logged["status"] == "dead"
    assert logged["kind"] == "reply_available"
    assert logged["last_error"].startswith("550")
    assert logged["attempts"] == 1
    assert logged["sent_at"] is None
    assert logged["recipient"] != address, "agents see the address masked"
    assert logged["recipient"].endswith("@example.fr")
    assert logged["recipient"][0] == address[0]

    # Dead letters are for supervisors of the fund.
    supervisor = notifier.headers(role="supervisor")
    response = await notifier.client.get("/dead-letters", headers=agent)
    assert response.status_code == 403
    response = await notifier.client.get("/dead-letters", headers=supervisor)
    assert [entry["id"] for entry in response.json()["data"]] == [logged["id"]]
    other_fund = notifier.headers(role="supervisor", fund="CNO")
    response = await notifier.client.get("/dead-letters", headers=other_fund)
    assert response.json()["data"] == []
    replay_url = f"/dead-letters/{logged['id']}/replay"
    response = await notifier.client.post(replay_url, headers=other_fund)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"

    # The cause is fixed; the supervisor replays it; it goes out once.
    smtp_stub.refusals = {}
    response = await notifier.client.post(replay_url, headers=supervisor)
    assert response.status_code == 200
    assert response.json()["status"] in ("pending", "sending", "sent")
    await notifier.wait_for_status(reply.event_id, "sent")
    [message] = received_by(smtp_stub, address)
    assert str(message["Message-ID"]).strip() == logged["message_id"]
    again = await notifier.client.post(replay_url, headers=supervisor)
    assert again.status_code == 200
    assert again.json()["status"] == "sent", "replaying twice is replaying once"
    sentinel = reply_posted(member_id, thread_id=thread_id)
    await notifier.publish(sentinel)
    await notifier.wait_for_status(sentinel.event_id, "sent")
    assert len(received_by(smtp_stub, address)) == 2


async def test_an_email_waits_for_a_late_contact_and_goes_out_when_it_arrives(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await (await notifier_factory(**smtp_to_mailbox)).start()
    member_id, address = uuid.uuid4(), unique_email("tardif")
    event = message_submitted(member_id)
    await notifier.publish(event)
    row = await notifier.wait_for_status(event.event_id, "waiting_contact")
    assert row["recipient"] is None

    response = await notifier.client.get(
        "/deliveries", params={"member_id": str(member_id)}, headers=notifier.headers()
    )
    [logged] = response.json()["data"]
    assert logged["status"] == "waiting_contact"
    assert logged["recipient"] is None

    # Account emails carry their own address: they never wait.
    [activation, *_] = account_events(member_id, address)
    await notifier.publish(activation)
    await notifier.wait_for_status(activation.event_id, "sent")
    assert (await notifier.delivery_rows(event.event_id))[0]["status"] == "waiting_contact"

    await notifier.publish(contact_changed(member_id, address))
    messages = await mailbox_client.wait_for(to=address, count=2, timeout=30)
    assert any(m["subject"].startswith("Votre message a bien été reçu") for m in messages)
    await notifier.wait_for_status(event.event_id, "sent")


async def test_an_email_whose_contact_never_arrives_is_dead_lettered_after_the_bound(
    notifier_factory: NotifierFactory,
) -> None:
    notifier = await (await notifier_factory(contact_wait_seconds=1.0)).start()
    event = reply_posted(uuid.uuid4())
    await notifier.publish(event)
    row = await notifier.wait_for_status(event.event_id, "dead")
    assert row["attempts"] == 0, "nothing was sent"
    assert "inconnue" in row["last_error"]
    [dead_letter] = await notifier.dead_letters()
    assert dead_letter.source_event_id == event.event_id  # type: ignore[attr-defined]


async def test_an_smtp_server_that_does_not_answer_is_the_server_away_not_the_emails_fault(
    notifier_factory: NotifierFactory,
) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accept, then never say a word

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        notifier = await notifier_factory(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=0.3)
        await notifier.start()
        [activation, *_] = account_events(uuid.uuid4(), unique_email())
        await notifier.publish(activation)
        row = await notifier.wait_until(
            lambda row: row["attempts"] >= 1 and row["status"] == "pending",
            activation.event_id,
            timeout=60,
        )
        assert "Timeout" in row["last_error"] or "Timed out" in row["last_error"]
        assert row["sent_at"] is None
        assert row["failures"] == 0
        assert await smtp_available(notifier) == 0
        await notifier.stop()
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
