"""Writes deferred to the commit: sent as one statement with the commit, each with its own
values, whether prepared once (``Prepared``) or built for the occasion; a commit made of
prepared writes is composed once for its shape. Against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from sqlalchemy import Column, Integer, MetaData, Table, Text, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import servicekit.db
from servicekit.db import (
    Prepared,
    UnitOfWork,
    create_engine,
    named,
    session_factory,
    together,
)
from servicekit.settings import ServiceSettings
from servicekit.testing import fresh_database

pytestmark = pytest.mark.integration

metadata = MetaData()
NOTES = Table(
    "notes",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("body", Text, nullable=False),
    Column("words", Integer, nullable=False),
)
TAGS = Table(
    "tags",
    metadata,
    Column("note_id", Uuid, primary_key=True),
    Column("tag", Text, primary_key=True),
)

TAG = Prepared.insert(TAGS, "tag_")
# ``words`` computed by the database from a parameter of the same prefix.
NOTE = Prepared.insert(
    NOTES,
    "note_",
    columns=("id", "body"),
    expressions={
        "words": func.array_length(
            func.regexp_split_to_array(named("note_", "body", Text), " "),
            1,
        )
    },
)


class KitSettings(ServiceSettings):
    service_name: str = "kit-writes"


@pytest.fixture
async def engine(postgres_admin_url: str) -> AsyncIterator[AsyncEngine]:
    async with fresh_database(postgres_admin_url, "servicekit_writes") as url:
        engine = create_engine(KitSettings(database_url=SecretStr(url)))
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        try:
            yield engine
        finally:
            await engine.dispose()


async def rows(
    engine: AsyncEngine,
) -> tuple[dict[uuid.UUID, tuple[str, int]], set[tuple[uuid.UUID, str]]]:
    async with engine.connect() as connection:
        notes = {row.id: (row.body, row.words) for row in await connection.execute(select(NOTES))}
        tags = {(row.note_id, row.tag) for row in await connection.execute(select(TAGS))}
    return notes, tags


async def test_prepared_writes_are_committed_each_with_its_values(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    first, second = uuid.uuid4(), uuid.uuid4()
    async with UnitOfWork(sessions, producer="kit") as uow:
        await uow.writes.add(NOTE.bind({"id": first, "body": "une demande de remboursement"}))
        await uow.writes.add(TAG.bind({"note_id": first, "tag": "santé"}))
        # the same prepared write twice in one commit: each keeps its own values
        await uow.writes.add(TAG.bind({"note_id": first, "tag": "retraite"}))
        # and a write built for the occasion, in the same statement
        await uow.writes.add(NOTES.insert().values(id=second, body="deux mots", words=2))
        uow.notify_on_commit("kit_writes")
        await uow.commit()
    notes, tags = await rows(engine)
    assert notes == {first: ("une demande de remboursement", 4), second: ("deux mots", 2)}
    assert tags == {(first, "santé"), (first, "retraite")}


async def test_a_rolled_back_unit_of_work_writes_nothing(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with UnitOfWork(sessions, producer="kit") as uow:
        await uow.writes.add(NOTE.bind({"id": uuid.uuid4(), "body": "jamais écrite"}))
    assert await rows(engine) == ({}, set())


async def test_a_commit_of_prepared_writes_is_composed_once_for_its_shape(
    engine: AsyncEngine,
) -> None:
    def shape(note: uuid.UUID, tag: str) -> object:
        statement, parameters = together(
            [NOTE.bind({"id": note, "body": "a b"}), TAG.bind({"note_id": note, "tag": tag})],
            ["kit_writes"],
        )
        assert parameters["note_id"] == note
        assert parameters["tag_tag"] == tag
        return statement

    assert shape(uuid.uuid4(), "x") is shape(uuid.uuid4(), "y")
    sessions = session_factory(engine)
    notes = [uuid.uuid4() for _ in range(3)]
    for number, note in enumerate(notes):
        async with UnitOfWork(sessions, producer="kit") as uow:
            await uow.writes.add(NOTE.bind({"id": note, "body": "mot " * (number + 1)}))
            await uow.writes.add(TAG.bind({"note_id": note, "tag": f"n{number}"}))
            await uow.commit()
    stored, tags = await rows(engine)
    assert {note: stored[note][1] for note in notes} == {notes[0]: 2, notes[1]: 3, notes[2]: 4}
    assert tags == {(note, f"n{number}") for number, note in enumerate(notes)}


async def test_a_unit_of_work_of_one_statement_commits_it_as_it_ends_and_leaves_the_pool_as_it_was(
    postgres_admin_url: str,
) -> None:
    async with fresh_database(postgres_admin_url, "servicekit_one_statement") as url:
        # One connection: the units of work below all take the same one from the pool.
        engine = create_engine(KitSettings(database_url=SecretStr(url), database_pool_size=1))
        others = create_engine(KitSettings(database_url=SecretStr(url)))
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
            sessions = session_factory(engine)
            kept = uuid.uuid4()
            async with UnitOfWork(sessions, producer="kit").one_statement() as uow:
                await uow.session.execute(NOTES.insert().values(id=kept, body="seule", words=1))
                # No BEGIN was sent: the statement was a transaction of its own, committed
                # as it ended, and others see its row before the unit of work is left.
                assert (await rows(others))[0] == {kept: ("seule", 1)}
            # The same connection, back in an ordinary unit of work: a transaction again.
            async with UnitOfWork(sessions, producer="kit") as uow:
                await uow.session.execute(
                    NOTES.insert().values(id=uuid.uuid4(), body="non", words=1)
                )
                assert (await rows(others))[0] == {kept: ("seule", 1)}
            assert (await rows(engine))[0] == {kept: ("seule", 1)}
            # Deferred writes and a NOTIFY go in its one statement, committed.
            written = uuid.uuid4()
            async with UnitOfWork(sessions, producer="kit").one_statement() as uow:
                await uow.writes.add(NOTE.bind({"id": written, "body": "trois petits mots"}))
                uow.notify_on_commit("kit_writes")
                await uow.commit()
            assert (await rows(others))[0][written] == ("trois petits mots", 3)
        finally:
            await engine.dispose()
            await others.dispose()


async def test_a_unit_of_work_cancelled_as_it_begins_gives_its_connection_back(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service stopping (its tasks cancelled) while a unit of work sends its BEGIN: the
    connection it took leaves the pool's hands at once, not at the next garbage collection."""
    began = asyncio.Event()

    async def slow_begin(_connection: object) -> None:
        began.set()
        await asyncio.sleep(30)  # a BEGIN that does not come back before the cancel

    monkeypatch.setattr(servicekit.db, "_begin", slow_begin)
    sessions = session_factory(engine)
    pool = engine.sync_engine.pool

    async def work() -> None:
        async with UnitOfWork(sessions, producer="kit"):
            raise AssertionError("never entered")

    task = asyncio.create_task(work())
    await asyncio.wait_for(began.wait(), timeout=10)
    assert pool.checkedout() == 1  # type: ignore[attr-defined]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert pool.checkedout() == 0  # type: ignore[attr-defined]
    monkeypatch.undo()
    async with UnitOfWork(sessions, producer="kit") as uow:  # the pool serves as before
        await uow.session.execute(NOTES.insert().values(id=uuid.uuid4(), body="après", words=1))
        await uow.commit()
    assert "après" in [body for body, _ in (await rows(engine))[0].values()]
