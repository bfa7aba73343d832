"""What follows a reply, against real PostgreSQL and Kafka: « Je n'ai pas compris la
réponse » (a « relance » on top of the queue, with the agent who answered first, due in two
working days), « Demande de précisions » (the due date suspended then restarted, the
reminder after 10 days and the closing after 30, by the clock), and the satisfaction
question (one answer per reply, changeable for 7 days)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from contracts.topics import THREAD_ACTIVITY
from messages.domain.calendar import add_working_days, working_days_between
from messages.domain.commands import RunFollowUpTimers
from servicekit.clock import paris_date
from servicekit.testing import MovableClock, eventually
from services.messages.tests.support import Caller, Directory, People, send

pytestmark = pytest.mark.integration


@pytest.fixture
async def activity(
    kafka_bootstrap: str, kafka_topic_prefix: str
) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        kafka_topic_prefix + THREAD_ACTIVITY.name,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def activity_of(
    consumer: AIOKafkaConsumer, thread_id: str, event_types: list[str], timeout: float = 30.0
) -> list[tuple[bytes, dict[str, Any]]]:
    """The thread's events on messages.thread-activity.v1 until ``event_types`` were all seen."""
    found: list[tuple[bytes, dict[str, Any]]] = []

    async def all_seen() -> bool:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                if record.key == thread_id.encode():
                    found.append((record.value, json.loads(record.value)))
        seen = [event["event_type"] for _, event in found]
        return all(seen.count(kind) >= event_types.count(kind) for kind in set(event_types))

    await eventually(all_seen, timeout=timeout, message=f"{event_types} of {thread_id}")
    return found


async def answered_thread(
    client: httpx.AsyncClient,
    member: Caller,
    agent: Caller,
    *,
    asks_for_details: bool = False,
    text: str = "Bonjour, je viens de déménager et je souhaite déclarer ma nouvelle adresse.",
) -> tuple[dict[str, Any], dict[str, Any]]:
    sent = await send(client, member, text=text)
    assert sent.status_code == 201, sent.text
    thread = sent.json()
    reply = await client.post(
        f"/agent/threads/{thread['thread_id']}/replies",
        json={
            "text": "Merci de nous envoyer votre nouveau bail, nous mettrons à jour votre dossier.",
            "asks_for_details": asks_for_details,
        },
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text
    return thread, reply.json()


async def agent_view(client: httpx.AsyncClient, agent: Caller, thread_id: str) -> dict[str, Any]:
    response = await client.get(f"/agent/threads/{thread_id}", headers=agent.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def member_view(client: httpx.AsyncClient, member: Caller, thread_id: str) -> dict[str, Any]:
    response = await client.get(f"/threads/{thread_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# « Je n'ai pas compris la réponse » ----------------------------------------------------------


async def test_not_understood_puts_the_thread_on_top_with_the_first_agent_in_two_working_days(
    client: httpx.AsyncClient,
    people: People,
    activity: AIOKafkaConsumer,
    clock: MovableClock,
    directory: Directory,
) -> None:
    fund = "MPN"  # a fund of its own: its queue holds only this test's threads
    camille = people.member(fund)
    first_agent = people.agent(fund, given_name="Sophie", family_name="BERNARD")
    second_agent = people.agent(fund, given_name="Luc", family_name="PETIT")
    thread, reply = await answered_thread(client, camille, first_agent)
    # Others wait with earlier due dates: sent in the past, they are overdue.
    clock.offset = -timedelta(days=30)
    older = [(await send(client, people.member(fund))).json() for _ in range(2)]
    clock.offset = timedelta()
    # The thread is handed to someone else meanwhile: the « relance » goes back to Sophie.
    supervisor = people.agent(fund, role="supervisor")
    await directory.lists(second_agent)
    assigned = await client.post(
        f"/agent/threads/{thread['thread_id']}/assign",
        json={"agent_id": str(second_agent.id), "agent_name": "Luc PETIT"},
        headers=supervisor.headers,
    )
    assert assigned.status_code == 200, assigned.text

    secret = "Je ne comprends pas quel document confidentiel envoyer exactement."
    pressed = await client.post(
        f"/threads/{thread['thread_id']}/replies/{reply['reply']['id']}/not-understood",
        json={"text": secret},
        headers=camille.headers,
    )
    assert pressed.status_code == 200, pressed.text
    today = paris_date(clock.now())
    assert pressed.json()["due_date"] == add_working_days(today, 2).isoformat()
    assert pressed.json()["status"] == "in_progress"

    queue = await client.get("/agent/threads", headers=second_agent.headers)
    references = [item["reference"] for item in queue.json()["data"]]
    assert references[0] == thread["reference"], "the relance comes before overdue threads"
    assert set(references[1:]) == {older[0]["reference"], older[1]["reference"]}
    top = queue.json()["data"][0]
    assert top["relance"] is True
    assert top["assignee"]["id"] == str(first_agent.id)
    only = await client.get(
        "/agent/threads", params={"relance": "true"}, headers=second_agent.headers
    )
    assert [item["reference"] for item in only.json()["data"]] == [thread["reference"]]
    counts = (await client.get("/agent/threads/counts", headers=second_agent.headers)).json()
    assert counts["relances"] == 1

    seen_by_member = await member_view(client, camille, thread["thread_id"])
    replied = next(m for m in seen_by_member["messages"] if m["id"] == reply["reply"]["id"])
    assert replied["not_understood_at"] is not None
    assert seen_by_member["messages"][-1]["text"] == secret

    again = await client.post(
        f"/threads/{thread['thread_id']}/replies/{reply['reply']['id']}/not-understood",
        json={},
        headers=camille.headers,
    )
    assert again.status_code == 409
    assert "déjà été transmise" in again.json()["detail"]

    events = await activity_of(activity, thread["thread_id"], ["ReplyNotUnderstood"])
    raw, event = next((r, e) for r, e in events if e["event_type"] == "ReplyNotUnderstood")
    assert event["reply_id"] == reply["reply"]["id"]
    assert event["assigned_agent_id"] == str(first_agent.id)
    assert event["due_date"] == add_working_days(today, 2).isoformat()
    assert event["follow_up_message_id"] is not None
    assert b"confidentiel" not in raw

    # Once answered, the thread leaves the top of the queue.
    answered = await client.post(
        f"/agent/threads/{thread['thread_id']}/replies",
        json={"text": "Il s'agit du bail signé de votre nouveau logement, en PDF."},
        headers=first_agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answered.status_code == 201
    assert answered.json()["relance"] is False
    counts = (await client.get("/agent/threads/counts", headers=second_agent.headers)).json()
    assert counts["relances"] == 0


async def test_not_understood_refuses_others_replies_and_bad_texts_in_french(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member()
    agent = people.agent()
    thread, reply = await answered_thread(client, camille, agent)
    url = f"/threads/{thread['thread_id']}/replies/{reply['reply']['id']}/not-understood"

    short = await client.post(url, json={"text": "Hein ?"}, headers=camille.headers)
    assert short.status_code == 422
    assert short.headers["content-type"] == "application/problem+json"
    assert "10" in short.json()["detail"]
    too_long = await client.post(url, json={"text": "a" * 751}, headers=camille.headers)
    assert too_long.status_code == 422
    # Someone else's thread, or a message that is not a reply: 404, nothing said.
    stranger = people.member()
    assert (await client.post(url, json={}, headers=stranger.headers)).status_code == 404
    own_message = f"/threads/{thread['thread_id']}/replies/{thread['message_id']}/not-understood"
    missing = await client.post(own_message, json={}, headers=camille.headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Cette réponse est introuvable dans votre demande."
    # Without a text it is accepted.
    assert (await client.post(url, json={}, headers=camille.headers)).status_code == 200


# « Demande de précisions » ----------------------------------------------------------------


async def test_details_suspend_the_due_date_and_the_answer_restarts_what_was_left(
    client: httpx.AsyncClient, people: People, activity: AIOKafkaConsumer, clock: MovableClock
) -> None:
    camille = people.member()
    agent = people.agent()
    thread, reply = await answered_thread(client, camille, agent, asks_for_details=True)
    due = date.fromisoformat(thread["due_date"])
    left = working_days_between(paris_date(clock.now()), due)
    assert left == 5  # the motif's five working days, none spent yet

    assert reply["status"] == "awaiting_member"
    mine = await member_view(client, camille, thread["thread_id"])
    assert mine["status_label"] == "en attente de votre réponse"
    assert mine["messages"][-1]["asks_for_details"] is True
    listed = await client.get("/threads", headers=camille.headers)
    assert listed.json()["data"][0]["status_label"] == "en attente de votre réponse"
    waiting = await client.get(
        "/agent/threads", params={"status": "awaiting_member"}, headers=agent.headers
    )
    assert thread["reference"] in [item["reference"] for item in waiting.json()["data"]]
    counts = (await client.get("/agent/threads/counts", headers=agent.headers)).json()
    assert counts["awaiting_member"] >= 1

    # Nine days later (the due date has passed) the member answers: five working days again.
    clock.offset = timedelta(days=9)
    answer = await client.post(
        f"/threads/{thread['thread_id']}/messages",
        json={"text": "Voici les références de mon nouveau bail, signé le 1er décembre."},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 201, answer.text
    restarted = date.fromisoformat(answer.json()["due_date"])
    answered_on = paris_date(clock.now())
    assert restarted == add_working_days(answered_on, 5)
    assert restarted > due
    assert answer.json()["status"] == "in_progress"

    events = await activity_of(
        activity, thread["thread_id"], ["DetailsRequested", "DetailsProvided"]
    )
    kinds = {event["event_type"]: event for _, event in events}
    requested = kinds["DetailsRequested"]
    assert requested["reply_id"] == reply["reply"]["id"]
    assert date.fromisoformat(requested["closes_on"]) - date.fromisoformat(
        requested["reminder_on"]
    ) == timedelta(days=20)
    assert kinds["DetailsProvided"]["due_date"] == restarted.isoformat()
    for raw, _ in events:
        assert b"bail" not in raw


async def test_the_reminder_goes_after_ten_days_once_and_the_thread_closes_after_thirty(
    client: httpx.AsyncClient,
    app: FastAPI,
    people: People,
    activity: AIOKafkaConsumer,
    clock: MovableClock,
) -> None:
    camille = people.member()
    agent = people.agent()
    thread, _ = await answered_thread(client, camille, agent, asks_for_details=True)
    bus = app.state.bus

    clock.offset = timedelta(days=9, hours=23)
    await bus.handle(RunFollowUpTimers())
    assert (await agent_view(client, agent, thread["thread_id"]))["status"] == "awaiting_member"

    clock.offset = timedelta(days=10, minutes=1)
    # Two replicas at once, then once more: still one reminder.
    await asyncio.gather(bus.handle(RunFollowUpTimers()), bus.handle(RunFollowUpTimers()))
    await bus.handle(RunFollowUpTimers())
    events = await activity_of(activity, thread["thread_id"], ["DetailsReminderDue"])
    assert [e["event_type"] for _, e in events].count("DetailsReminderDue") == 1
    assert (await agent_view(client, agent, thread["thread_id"]))["status"] == "awaiting_member"

    clock.offset = timedelta(days=30, minutes=1)
    await bus.handle(RunFollowUpTimers())
    closed = await agent_view(client, agent, thread["thread_id"])
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    more = await activity_of(activity, thread["thread_id"], ["ThreadClosedUnanswered"])
    closing = next(e for _, e in more if e["event_type"] == "ThreadClosedUnanswered")
    assert closing["member_id"] == str(camille.id)
    # Closed, the member is told to write a new message.
    late = await client.post(
        f"/threads/{thread['thread_id']}/messages",
        json={"text": "Voici enfin les documents demandés par la caisse."},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert late.status_code == 409
    assert "nouveau message" in late.json()["detail"]
    # The reminder did not repeat meanwhile.
    everything = events + more + await activity_of(activity, thread["thread_id"], [], timeout=1)
    assert [e["event_type"] for _, e in everything].count("DetailsReminderDue") == 1


async def test_an_agent_closing_and_reopening_a_thread_publishes_both(
    client: httpx.AsyncClient, people: People, activity: AIOKafkaConsumer
) -> None:
    camille = people.member()
    agent = people.agent()
    sent = await send(client, camille, text="Bonjour, ma question porte sur mon dossier secret.")
    thread = sent.json()
    closed = await client.post(f"/agent/threads/{thread['thread_id']}/close", headers=agent.headers)
    assert closed.status_code == 200, closed.text
    reopened = await client.post(
        f"/agent/threads/{thread['thread_id']}/reopen", headers=agent.headers
    )
    assert reopened.status_code == 200, reopened.text
    # Refused changes publish nothing.
    again = await client.post(f"/agent/threads/{thread['thread_id']}/reopen", headers=agent.headers)
    assert again.status_code == 409

    events = await activity_of(activity, thread["thread_id"], ["ThreadClosed", "ThreadReopened"])
    kinds = [event["event_type"] for _, event in events]
    assert kinds == ["ThreadClosed", "ThreadReopened"], "in order, on the thread's partition"
    closing, reopening = (event for _, event in events)
    assert closing["agent_id"] == reopening["agent_id"] == str(agent.id)
    assert closing["member_id"] == str(camille.id)
    assert datetime.fromisoformat(closing["closed_at"]) == datetime.fromisoformat(
        closed.json()["closed_at"]
    )
    assert reopening["due_date"] == reopened.json()["due_date"]
    for raw, _ in events:
        assert b"secret" not in raw


# « Cette réponse vous a-t-elle aidé ? » ------------------------------------------------------


async def test_one_satisfaction_answer_per_reply_changeable_for_seven_days(
    client: httpx.AsyncClient, people: People, activity: AIOKafkaConsumer, clock: MovableClock
) -> None:
    camille = people.member()
    agent = people.agent()
    thread, reply = await answered_thread(client, camille, agent)
    url = f"/threads/{thread['thread_id']}/replies/{reply['reply']['id']}/satisfaction"

    first = await client.put(url, json={"helpful": False}, headers=camille.headers)
    assert first.status_code == 200, first.text
    comment = "Réponse trop vague sur mon dossier confidentiel."
    changed = await client.put(
        url, json={"helpful": True, "comment": comment}, headers=camille.headers
    )
    assert changed.status_code == 200
    assert changed.json()["helpful"] is True
    assert changed.json()["changeable_until"] == first.json()["changeable_until"]

    seen = await member_view(client, camille, thread["thread_id"])
    rated = next(m for m in seen["messages"] if m["id"] == reply["reply"]["id"])
    assert rated["satisfaction"]["helpful"] is True
    assert rated["satisfaction"]["comment"] == comment
    by_fund = await agent_view(client, agent, thread["thread_id"])
    rated = next(m for m in by_fund["messages"] if m["id"] == reply["reply"]["id"])
    assert rated["satisfaction"]["helpful"] is True

    clock.offset = timedelta(days=7, minutes=1)
    late = await client.put(url, json={"helpful": False}, headers=camille.headers)
    assert late.status_code == 409
    assert "7 jours" in late.json()["detail"]
    clock.offset = timedelta()

    events = await activity_of(
        activity, thread["thread_id"], ["SatisfactionGiven", "SatisfactionGiven"]
    )
    given = [(raw, e) for raw, e in events if e["event_type"] == "SatisfactionGiven"]
    assert [(e["helpful"], e["has_comment"], e["changed"]) for _, e in given] == [
        (False, False, False),
        (True, True, True),
    ]
    for raw, _ in given:
        assert b"confidentiel" not in raw
        assert b"vague" not in raw


async def test_satisfaction_refuses_long_comments_other_members_and_messages(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member()
    agent = people.agent()
    thread, reply = await answered_thread(client, camille, agent)
    url = f"/threads/{thread['thread_id']}/replies/{reply['reply']['id']}/satisfaction"
    too_long = await client.put(
        url, json={"helpful": True, "comment": "x" * 301}, headers=camille.headers
    )
    assert too_long.status_code == 422
    assert too_long.headers["content-type"] == "application/problem+json"
    assert "300 caractères" in too_long.json()["detail"]
    no_answer = await client.put(url, json={"comment": "Bien"}, headers=camille.headers)
    assert no_answer.status_code == 422
    assert no_answer.headers["content-type"] == "application/problem+json"
    stranger = people.member()
    assert (
        await client.put(url, json={"helpful": True}, headers=stranger.headers)
    ).status_code == 404
    on_message = f"/threads/{thread['thread_id']}/replies/{thread['message_id']}/satisfaction"
    assert (
        await client.put(on_message, json={"helpful": True}, headers=camille.headers)
    ).status_code == 404
