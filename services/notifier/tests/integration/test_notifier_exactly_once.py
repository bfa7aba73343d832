"""An event's email goes out once: redeliveries and restarts send nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import MESSAGE_SUBMITTED
from notifier.domain.model import Delivery
from notifier.service_layer.delivery import DeliveryWorker
from services.notifier.tests.support import (
    NotifierFactory,
    contact_changed,
    message_submitted,
    unique_email,
)

pytestmark = pytest.mark.integration


async def emails_with(mailbox_client: Any, address: str, message_id: str) -> int:
    entries = await mailbox_client.list(to=address)
    return sum(1 for entry in entries if (entry["message_id"] or "").strip() == message_id)


async def test_a_redelivered_event_sends_nothing_more(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    notifier = await notifier_factory(**smtp_to_mailbox)
    member_id, address = uuid.uuid4(), unique_email()
    thread_id = uuid.uuid4()
    event = message_submitted(member_id, thread_id=thread_id)
    await notifier.publish(contact_changed(member_id, address))
    # The same event twice on the wire, as a producer retrying after a lost acknowledgement.
    await notifier.publish(event, event)
    await notifier.start()
    sentinel = message_submitted(member_id, thread_id=thread_id, follow_up=True)
    await notifier.publish(sentinel)
    # Same thread, same partition: once the sentinel's email is out, the copy was consumed.
    await mailbox_client.wait_for(to=address, count=2, timeout=60)
    await notifier.wait_for_status(sentinel.event_id, "sent")
    message_id = (await notifier.delivery_rows(event.event_id))[0]["message_id"]
    assert await emails_with(mailbox_client, address, message_id) == 1
    await notifier.stop()

    # Rewind the consumer group to the beginning: every event is delivered again.
    topic = notifier.settings.kafka_topic_prefix + MESSAGE_SUBMITTED.name
    group = f"{notifier.settings.kafka_group_prefix}notifier.message-submitted"
    rewinder = AIOKafkaConsumer(
        bootstrap_servers=notifier.settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await rewinder.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(MESSAGE_SUBMITTED.partitions)]
        rewinder.assign(partitions)
        await rewinder.commit(dict.fromkeys(partitions, 0))
    finally:
        await rewinder.stop()

    restarted = await (await notifier_factory(**smtp_to_mailbox)).start()
    after_rewind = message_submitted(member_id, thread_id=thread_id, follow_up=True)
    await restarted.publish(after_rewind)
    await restarted.wait_for_status(after_rewind.event_id, "sent", timeout=60)
    await mailbox_client.wait_for(to=address, count=3, timeout=30)
    assert await emails_with(mailbox_client, address, message_id) == 1
    sentinel_id = (await restarted.delivery_rows(sentinel.event_id))[0]["message_id"]
    assert await emails_with(mailbox_client, address, sentinel_id) == 1
    assert len(await mailbox_client.list(to=address)) == 3


async def test_a_notifier_killed_between_sending_and_recording_sends_nothing_twice_once_recorded(
    notifier_factory: NotifierFactory, mailbox_client: Any, smtp_to_mailbox: dict[str, Any]
) -> None:
    member_id, address = uuid.uuid4(), unique_email()
    recorded = [message_submitted(member_id, number=n) for n in (1, 2)]
    in_flight = message_submitted(member_id, number=3)
    accepted = asyncio.Event()
    never = asyncio.Event()

    async def crash_before_recording(delivery: Delivery) -> None:
        """The SMTP server accepted this email; the process dies before recording it."""
        if delivery.event_id == in_flight.event_id:
            accepted.set()
            await never.wait()

    notifier = await notifier_factory(**smtp_to_mailbox, shutdown_grace_seconds=0.2)
    await notifier.start(after_accepted=crash_before_recording)
    await notifier.publish(contact_changed(member_id, address))
    await notifier.publish(*recorded)
    for event in recorded:
        await notifier.wait_for_status(event.event_id, "sent", timeout=60)
    await notifier.publish(in_flight)
    await asyncio.wait_for(accepted.wait(), timeout=60)
    await notifier.stop()  # the "kill": the outcome of the last email is never recorded

    [left] = await notifier.delivery_rows(in_flight.event_id)
    assert left["status"] == "sending", "an interrupted delivery is visible as such"
    assert len(await mailbox_client.list(to=address)) == 3

    # Restarted: nothing recorded as sent goes out again. The interrupted one is sent again
    # after the lease, with the same Message-ID so that the copy can be recognised.
    restarted = await notifier_factory(**smtp_to_mailbox, sending_lease_seconds=1.0)
    await restarted.start()
    await restarted.wait_for_status(in_flight.event_id, "sent", timeout=60)
    sentinel = message_submitted(member_id, number=4)
    await restarted.publish(sentinel)
    await restarted.wait_for_status(sentinel.event_id, "sent", timeout=60)
    for event in recorded:
        message_id = (await restarted.delivery_rows(event.event_id))[0]["message_id"]
        assert await emails_with(mailbox_client, address, message_id) == 1
    assert await emails_with(mailbox_client, address, left["message_id"]) == 2
    assert len(await mailbox_client.list(to=address)) == 5


async def test_an_email_accepted_while_the_database_is_away_is_recorded_when_it_answers_not_resent(
    notifier_factory: NotifierFactory,
    mailbox_client: Any,
    smtp_to_mailbox: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SMTP server said 250, then the database went away for longer than the sending
    lease: the outcome waits in memory and is recorded once the database answers; the
    email is not sent again."""
    member_id, address = uuid.uuid4(), unique_email()
    in_flight = message_submitted(member_id, number=1)
    away = asyncio.Event()

    async def database_goes_away(delivery: Delivery) -> None:
        if delivery.event_id == in_flight.event_id:
            away.set()

    workers: list[DeliveryWorker] = []

    class SeenWorker(DeliveryWorker):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            workers.append(self)

    monkeypatch.setattr("notifier.main.DeliveryWorker", SeenWorker)
    notifier = await notifier_factory(**smtp_to_mailbox, sending_lease_seconds=1.0)
    await notifier.start(after_accepted=database_goes_away)
    [worker] = workers
    real_unit_of_work = worker._uow

    def unit_of_work() -> Any:
        if away.is_set():
            raise ConnectionRefusedError("the database is away")
        return real_unit_of_work()

    worker._uow = worker._sent._uow = unit_of_work  # type: ignore[method-assign]
    await notifier.publish(contact_changed(member_id, address))
    await notifier.publish(in_flight)
    await asyncio.wait_for(away.wait(), timeout=60)
    # The outage itself: longer than the lease, and than the few seconds of retries the
    # worker used to give a record before leaving the delivery to be sent again.
    await asyncio.sleep(8.0)
    away.clear()

    await notifier.wait_for_status(in_flight.event_id, "sent", timeout=60)
    sentinel = message_submitted(member_id, number=2)
    await notifier.publish(sentinel)
    await notifier.wait_for_status(sentinel.event_id, "sent", timeout=60)
    [row] = await notifier.delivery_rows(in_flight.event_id)
    assert await emails_with(mailbox_client, address, row["message_id"]) == 1
    assert len(await mailbox_client.list(to=address)) == 2
    await notifier.stop()


async def test_the_events_of_one_poll_each_record_and_send_their_email_once(
    notifier_factory: NotifierFactory,
    mailbox_client: Any,
    smtp_to_mailbox: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Published before the notifier starts, many events come in one poll: their emails are
    written together (one statement for all), each once, a copy on the wire doing nothing,
    and one whose member's contact is not known yet waits for it."""
    notifier = await notifier_factory(**smtp_to_mailbox)
    members = [(uuid.uuid4(), unique_email()) for _ in range(3)]
    for member_id, address in members:
        await notifier.publish(contact_changed(member_id, address))
    events = [
        message_submitted(member_id, thread_id=uuid.uuid4())
        for member_id, _ in members
        for _ in range(4)
    ]
    unknown = message_submitted(uuid.uuid4(), thread_id=uuid.uuid4())
    await notifier.publish(*events, unknown, *events[:3])
    await notifier.start()

    for event in events:
        await notifier.wait_for_status(event.event_id, "sent", timeout=60)
    waiting = await notifier.wait_for_status(unknown.event_id, "waiting_contact")
    assert waiting["next_attempt_at"] is None
    assert waiting["wait_until"] is not None
    for event in events:
        rows = await notifier.delivery_rows(event.event_id)
        assert len(rows) == 1
        assert rows[0]["reference"] == event.reference
    for _, address in members:
        await mailbox_client.wait_for(to=address, count=4, timeout=30)
    # The copies were read with the first poll's events or just after: once every email
    # is out and recorded, nothing more is on its way.
    for _, address in members:
        assert len(await mailbox_client.list(to=address)) == 4
    # Applied as a group: not taken apart one by one after a failure of the group.
    assert not [record for record in caplog.records if "group of events failed" in str(record.msg)]
