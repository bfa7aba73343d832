"""Retention: deliveries and processed event ids past their age are deleted, by
``python -m notifier purge-expired`` and by each replica's background sweep."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from notifier.__main__ import cli
from notifier.adapters.orm import DELIVERIES, FORGOTTEN_MEMBERS
from servicekit.consumer import PROCESSED_EVENTS
from servicekit.testing import eventually
from services.notifier.tests.support import (
    Notifier,
    NotifierFactory,
    SmtpSink,
    contact_changed,
    message_submitted,
    reply_posted,
    unique_email,
)

pytestmark = pytest.mark.integration

REFUSED = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"
GREYLISTED = "450 4.2.0 <{address}>: Recipient address rejected: Greylisted"


async def age(
    notifier: Notifier, event_id: uuid.UUID, *, days: int, processed: bool = False
) -> None:
    """Make the delivery of ``event_id`` (or its processed id) ``days`` old."""
    table, column = (PROCESSED_EVENTS, "processed_at") if processed else (DELIVERIES, "created_at")
    async with notifier.engine.begin() as connection:
        changed = await connection.execute(
            update(table)
            .where(table.c.event_id == event_id)
            .values({column: func.now() - timedelta(days=days)})
        )
        assert changed.rowcount == 1


async def remaining(notifier: Notifier, event_ids: dict[str, uuid.UUID]) -> dict[str, set[str]]:
    """Which of ``event_ids`` still have a delivery, and a processed id."""
    async with notifier.engine.connect() as connection:
        delivered = set(
            await connection.scalars(
                select(DELIVERIES.c.event_id).where(DELIVERIES.c.event_id.in_(event_ids.values()))
            )
        )
        processed = set(
            await connection.scalars(
                select(PROCESSED_EVENTS.c.event_id).where(
                    PROCESSED_EVENTS.c.event_id.in_(event_ids.values())
                )
            )
        )
    return {
        "deliveries": {name for name, event_id in event_ids.items() if event_id in delivered},
        "processed": {name for name, event_id in event_ids.items() if event_id in processed},
    }


async def aged_log(notifier: Notifier, sink: SmtpSink) -> dict[str, uuid.UUID]:
    """Deliveries of every fate, aged: sent and dead 401 days ago, sent 399 days ago, one still
    being retried from 401 days ago; ids processed 31 and 29 days ago."""
    members = {name: (uuid.uuid4(), unique_email(name)) for name in ("a", "b", "c", "d")}
    sink.refusals = {members["b"][1]: REFUSED, members["d"][1]: GREYLISTED}
    await notifier.publish(*(contact_changed(*member) for member in members.values()))
    events = {
        "old_sent": message_submitted(members["a"][0]),
        "old_dead": reply_posted(members["b"][0]),
        "recent_sent": message_submitted(members["c"][0]),
        "old_unsent": message_submitted(members["d"][0]),
    }
    await notifier.publish(*events.values())
    await notifier.wait_for_status(events["old_sent"].event_id, "sent")
    await notifier.wait_for_status(events["old_dead"].event_id, "dead")
    await notifier.wait_for_status(events["recent_sent"].event_id, "sent")
    await notifier.wait_until(lambda row: row["attempts"] >= 1, events["old_unsent"].event_id)
    for name, days in (("old_sent", 401), ("old_dead", 401), ("recent_sent", 399)):
        await age(notifier, events[name].event_id, days=days)
    await age(notifier, events["old_unsent"].event_id, days=401)
    await age(notifier, events["old_sent"].event_id, days=31, processed=True)
    await age(notifier, events["old_dead"].event_id, days=31, processed=True)
    await age(notifier, events["recent_sent"].event_id, days=29, processed=True)
    return {name: event.event_id for name, event in events.items()}


async def test_purge_expired_deletes_old_deliveries_and_processed_ids_and_keeps_recent_ones(
    notifier_factory: NotifierFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = await SmtpSink().start()
    try:
        notifier = await (
            await notifier_factory(smtp_host="127.0.0.1", smtp_port=sink.port)
        ).start()
        event_ids = await aged_log(notifier, sink)
        # Members whose account was deleted 31 and 29 days ago.
        long_ago, lately = uuid.uuid4(), uuid.uuid4()
        async with notifier.engine.begin() as connection:
            await connection.execute(
                insert(FORGOTTEN_MEMBERS),
                [
                    {"member_id": long_ago, "forgotten_at": datetime.now(UTC) - timedelta(days=31)},
                    {"member_id": lately, "forgotten_at": datetime.now(UTC) - timedelta(days=29)},
                ],
            )

        # The command runs on its own, as an operator runs it: the replica's lines (its SMTP
        # retries, the test server's chatter) would otherwise mix with the output read below.
        await notifier.stop()
        monkeypatch.setenv("NOTIFIER_DATABASE_URL", database_url)
        monkeypatch.setenv("ENVIRONMENT", "test")
        capsys.readouterr()
        assert await asyncio.to_thread(cli.main, ["purge-expired"]) == 0
        assert capsys.readouterr().out.strip() == (
            "notifier: removed 2 deliveries older than 400 days, and 2 processed event ids "
            "and 1 deleted accounts' marks older than 30 days"
        )
        async with notifier.engine.connect() as connection:
            marks = set(await connection.scalars(select(FORGOTTEN_MEMBERS.c.member_id)))
        assert marks == {lately}
        assert await remaining(notifier, event_ids) == {
            "deliveries": {"recent_sent", "old_unsent"},
            "processed": {"recent_sent", "old_unsent"},
        }

        monkeypatch.setenv("NOTIFIER_DELIVERY_RETENTION_DAYS", "365")
        monkeypatch.setenv("NOTIFIER_PROCESSED_EVENT_RETENTION_DAYS", "28")
        assert await asyncio.to_thread(cli.main, ["purge-expired"]) == 0
        assert "removed 1 deliveries" in capsys.readouterr().out
        assert await remaining(notifier, event_ids) == {
            "deliveries": {"old_unsent"},
            "processed": {"old_unsent"},
        }
    finally:
        await sink.stop()


async def test_each_replica_sweeps_what_is_past_its_retention(
    notifier_factory: NotifierFactory,
) -> None:
    sink = await SmtpSink().start()
    try:
        overrides: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "retention_sweep_interval_seconds": 0.2,
        }
        notifier = await (await notifier_factory(**overrides)).start()
        event_ids = await aged_log(notifier, sink)

        async def swept() -> dict[str, set[str]] | None:
            # Deliveries and processed ids go in transactions of their own, one after the
            # other: until the sweep has done both.
            left = await remaining(notifier, event_ids)
            kept = {"recent_sent", "old_unsent"}
            return left if left["deliveries"] == kept and left["processed"] == kept else None

        left = await eventually(swept, timeout=30, message="old deliveries swept")
        assert left["processed"] == {"recent_sent", "old_unsent"}
        [unsent] = await notifier.delivery_rows(event_ids["old_unsent"])
        assert unsent["status"] in ("pending", "sending"), "an email not sent yet stays"
    finally:
        await sink.stop()
