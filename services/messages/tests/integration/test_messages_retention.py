"""Retention: ``python -m messages purge-closed`` removes threads closed long ago."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from messages.__main__ import cli
from messages.adapters.orm import ACCESS_AUDIT, MESSAGES, NOTES, THREADS
from servicekit.testing import MovableClock
from services.messages.tests.support import People, send

pytestmark = pytest.mark.integration


async def rows(app: FastAPI, table: object, thread_ids: list[str]) -> int:
    from sqlalchemy import Table

    assert isinstance(table, Table)
    async with app.state.runtime.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count())
            .select_from(table)
            .where((table.c.id if table is THREADS else table.c.thread_id).in_(thread_ids))
        )
    return int(count or 0)


async def test_purge_removes_threads_closed_too_long_ago_with_all_they_hold(
    client: httpx.AsyncClient,
    app: FastAPI,
    people: People,
    clock: MovableClock,
    messages_database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    member = people.member("CNO")
    agent = people.agent("CNO")

    async def closed_thread() -> str:
        thread_id = str((await send(client, member)).json()["thread_id"])
        await client.post(
            f"/agent/threads/{thread_id}/replies",
            json={"text": "Réponse de la caisse."},
            headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
        )
        await client.post(
            f"/agent/threads/{thread_id}/notes", json={"text": "Note."}, headers=agent.headers
        )
        await client.get(f"/agent/threads/{thread_id}", headers=agent.headers)
        await client.post(f"/agent/threads/{thread_id}/close", headers=agent.headers)
        return thread_id

    clock.offset = -timedelta(days=365 * 7)
    old = [await closed_thread(), await closed_thread()]
    clock.offset = -timedelta(days=365 * 3)
    recent = [await closed_thread()]
    clock.offset = -timedelta(days=365 * 7)
    still_open = [str((await send(client, member)).json()["thread_id"])]
    clock.offset = timedelta()

    monkeypatch.setenv("MESSAGES_DATABASE_URL", messages_database)
    monkeypatch.setenv("ENVIRONMENT", "test")

    assert (
        await asyncio.to_thread(cli.main, ["purge-closed", "--older-than-years", "5", "--dry-run"])
        == 0
    )
    assert "would remove 2 threads" in capsys.readouterr().out
    assert await rows(app, THREADS, old) == 2

    assert await asyncio.to_thread(cli.main, ["purge-closed", "--older-than-years", "5"]) == 0
    output = capsys.readouterr().out
    assert "removed 2 threads" in output
    assert "with 4 messages and replies, 2 notes and 2 access audit entries" in output
    for table in (THREADS, MESSAGES, NOTES, ACCESS_AUDIT):
        assert await rows(app, table, old) == 0
    assert await rows(app, THREADS, recent) == 1
    assert await rows(app, MESSAGES, recent) == 2
    assert await rows(app, THREADS, still_open) == 1
    gone = await client.get(f"/threads/{old[0]}", headers=member.headers)
    assert gone.status_code == 404

    assert await asyncio.to_thread(cli.main, ["purge-closed", "--older-than-years", "2"]) == 0
    assert "removed 1 threads" in capsys.readouterr().out
