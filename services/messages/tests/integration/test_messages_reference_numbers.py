"""Reference numbers come from a sequence per fund and year: unique, increasing, after every
number given before, and no lock held while the submission's transaction goes on."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.clock import paris_date
from servicekit.testing import MovableClock
from services.messages.tests.support import People, send

pytestmark = pytest.mark.integration


def number_of(reference: str) -> int:
    return int(reference.split("-")[2])


async def test_a_fund_s_first_reference_follows_the_numbers_its_counter_gave(
    client: httpx.AsyncClient, app: FastAPI, people: People, clock: MovableClock
) -> None:
    # SCH: a fund no other test writes for. Its counter row stands for numbers the service
    # gave before it took them from a sequence.
    year = paris_date(clock.now()).year
    async with app.state.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO reference_counters (fund, year, last_number) VALUES ('SCH', :year, 41)"
            ),
            {"year": year},
        )

    references = [(await send(client, people.member("SCH"))).json()["reference"] for _ in range(3)]

    assert references == [f"SCH-{year}-{number:06d}" for number in (42, 43, 44)]


async def test_concurrent_submissions_of_one_fund_get_distinct_increasing_numbers(
    client: httpx.AsyncClient, people: People
) -> None:
    first = (await send(client, people.member("PAZ"))).json()["reference"]
    answers = await asyncio.gather(*(send(client, people.member("PAZ")) for _ in range(12)))
    assert [answer.status_code for answer in answers] == [201] * 12
    numbers = [number_of(answer.json()["reference"]) for answer in answers]
    assert len(set(numbers)) == 12
    assert min(numbers) > number_of(first)


async def test_a_number_taken_in_an_open_transaction_does_not_hold_up_the_next_submission(
    client: httpx.AsyncClient, app: FastAPI, people: People, clock: MovableClock
) -> None:
    year = paris_date(clock.now()).year
    async with MessagesUnitOfWork(app.state.runtime.sessions, producer="messages") as unit:
        held = await unit.threads.next_reference_number("NPC", year)
        # Still open: with a counter row, the submission below would wait for this commit.
        answer = await asyncio.wait_for(send(client, people.member("NPC")), timeout=10)
        assert answer.status_code == 201
        assert number_of(answer.json()["reference"]) > held
        await unit.rollback()
