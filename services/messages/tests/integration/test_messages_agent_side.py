"""The back office: queue, counts, claim race, assignment, replies, canned replies, notes,
close and reopen, access audit. Each test works in a fund of its own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from messages.domain.commands import PurgeClosedThreads
from messages.service_layer.handlers.housekeeping import purge_closed_threads
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.testing import MovableClock
from services.messages.tests.support import Caller, Directory, People, send

pytestmark = pytest.mark.integration


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def test_the_queue_lists_the_funds_open_threads_by_due_date_with_filters_and_counts(
    client: httpx.AsyncClient, people: People, clock: MovableClock
) -> None:
    agent = people.agent("AIR")
    colleague = people.agent("AIR", given_name="Luc", family_name="PETIT")
    member = people.member("AIR")
    # Sent long ago, so already past its due date.
    clock.offset = -timedelta(days=30)
    late = (await send(client, member, motif="af-autre")).json()
    clock.offset = timedelta()
    quick = (await send(client, member)).json()  # 5 working days
    slow = (await send(client, member, motif="af-autre")).json()  # 10 working days
    answered = (await send(client, member)).json()
    await client.post(
        f"/agent/threads/{answered['thread_id']}/replies",
        json={"text": "Voici notre réponse."},
        headers=colleague.headers | key(),
    )
    await client.post(f"/agent/threads/{slow['thread_id']}/claim", headers=agent.headers)
    await send(client, people.member("NPC"))  # another fund: never in this queue

    async def queue(**params: str) -> list[str]:
        response = await client.get("/agent/threads", params=params, headers=agent.headers)
        assert response.status_code == 200, response.text
        return [thread["reference"] for thread in response.json()["data"]]

    assert await queue() == [late["reference"], quick["reference"], slow["reference"]]
    assert await queue(status="answered") == [answered["reference"]]
    everything = await queue(status="all")
    # quick and answered share a due date: ties are ordered by id.
    assert everything[0] == late["reference"]
    assert set(everything[1:3]) == {quick["reference"], answered["reference"]}
    assert everything[3] == slow["reference"]
    assert await queue(motif="af-autre") == [late["reference"], slow["reference"]]
    assert await queue(assigned="me") == [slow["reference"]]
    assert await queue(assigned="unassigned") == [late["reference"], quick["reference"]]
    assert await queue(overdue="true") == [late["reference"]]
    assert await queue(status="in_progress") == [slow["reference"]]

    page = (await client.get("/agent/threads", params={"limit": 2}, headers=agent.headers)).json()
    assert [t["reference"] for t in page["data"]] == [late["reference"], quick["reference"]]
    rest = await client.get(
        "/agent/threads", params={"limit": 2, "cursor": page["next_cursor"]}, headers=agent.headers
    )
    assert [t["reference"] for t in rest.json()["data"]] == [slow["reference"]]
    assert rest.json()["next_cursor"] is None
    shown = rest.json()["data"][0]
    assert shown["assignee"]["name"] == "Sophie BERNARD"
    assert shown["member"] == {
        "id": str(member.id),
        "given_name": "Camille",
        "family_name": "MARTIN",
    }

    counts = (await client.get("/agent/threads/counts", headers=agent.headers)).json()
    assert counts == {
        "submitted": 2,
        "in_progress": 1,
        "answered": 1,
        "awaiting_member": 0,
        "closed": 0,
        "open": 3,
        "all": 4,
        "mine": 1,
        "unassigned": 2,
        "overdue": 1,
        "my_skills": 3,
        "without_skill": 0,
        "relances": 0,
    }
    by_motif = await client.get(
        "/agent/threads/counts", params={"motif": "af-autre"}, headers=agent.headers
    )
    assert by_motif.json()["open"] == 2


async def test_the_counts_follow_replies_closing_reopening_and_the_purge_in_every_filter(
    app: FastAPI, client: httpx.AsyncClient, people: People, clock: MovableClock
) -> None:
    """Answered, awaiting and closed threads are counted from a tally kept as threads change,
    not from the fund's whole history: each change shows at once, and every count is the
    length of the list the same filters show."""
    sophie = people.agent("HNO")  # famille and sante
    luc = people.agent("HNO", given_name="Luc", family_name="PETIT", skills=("sante",))
    member = people.member("HNO")
    sante = {
        "theme": "sante",
        "subject": "sante-remboursements",
        "motif": "sante-remboursement-soins",
    }
    clock.offset = -timedelta(days=7 * 365)
    old = (await send(client, member)).json()["thread_id"]
    closed = await client.post(f"/agent/threads/{old}/close", headers=sophie.headers)
    assert closed.status_code == 200, closed.text
    clock.offset = timedelta()
    famille = (await send(client, member)).json()["thread_id"]
    await send(client, member, motif="af-autre")
    remboursement = (await send(client, member, **sante)).json()["thread_id"]
    for agent, thread_id in ((luc, famille), (sophie, remboursement)):
        replied = await client.post(
            f"/agent/threads/{thread_id}/replies",
            json={"text": "Voici notre réponse."},
            headers=agent.headers | key(),
        )
        assert replied.status_code == 201, replied.text
    # Answered by Luc, outside his skills: his from now on, in « Mes compétences » too.
    closed = await client.post(f"/agent/threads/{famille}/close", headers=sophie.headers)
    assert closed.status_code == 200, closed.text

    async def counts(agent: Caller, **filters: str) -> dict[str, int]:
        response = await client.get("/agent/threads/counts", params=filters, headers=agent.headers)
        assert response.status_code == 200, response.text
        counted: dict[str, int] = response.json()
        for status in ("submitted", "in_progress", "answered", "awaiting_member", "closed", "all"):
            listed = await client.get(
                "/agent/threads",
                params={"status": status, "limit": "100", **filters},
                headers=agent.headers,
            )
            assert listed.status_code == 200, listed.text
            assert counted[status] == len(listed.json()["data"]), (status, filters)
        return counted

    def by_status(counted: dict[str, int]) -> tuple[int, ...]:
        statuses = ("submitted", "in_progress", "answered", "closed", "all")
        return tuple(counted[status] for status in statuses)

    assert by_status(await counts(sophie)) == (1, 0, 1, 2, 4)
    assert by_status(await counts(sophie, motif="af-autre")) == (1, 0, 0, 0, 1)
    assert by_status(await counts(sophie, theme="sante")) == (0, 0, 1, 0, 1)
    assert by_status(await counts(luc, skill="mine")) == (0, 0, 1, 1, 2)
    assert by_status(await counts(luc, skill="famille")) == (1, 0, 0, 2, 3)

    reopened = await client.post(f"/agent/threads/{famille}/reopen", headers=sophie.headers)
    assert reopened.status_code == 200, reopened.text
    report = await purge_closed_threads(
        PurgeClosedThreads(older_than_years=5),
        uow=lambda: MessagesUnitOfWork(app.state.runtime.sessions, producer="messages"),
        clock=clock,
    )
    assert report.threads >= 1

    assert by_status(await counts(sophie)) == (1, 1, 1, 0, 3)
    assert by_status(await counts(luc, skill="mine")) == (0, 1, 1, 0, 2)
    assert by_status(await counts(luc, skill="famille")) == (1, 1, 0, 0, 2)


async def test_two_agents_claiming_at_once_one_wins_the_other_sees_who_has_it(
    client: httpx.AsyncClient, people: People
) -> None:
    member = people.member("ADN")
    sophie = people.agent("ADN", given_name="Sophie", family_name="BERNARD")
    luc = people.agent("ADN", given_name="Luc", family_name="PETIT")
    thread_id = (await send(client, member)).json()["thread_id"]

    responses = await asyncio.gather(
        client.post(f"/agent/threads/{thread_id}/claim", headers=sophie.headers),
        client.post(f"/agent/threads/{thread_id}/claim", headers=luc.headers),
    )
    assert sorted(response.status_code for response in responses) == [200, 409]
    winner = next(response for response in responses if response.status_code == 200).json()
    loser = next(response for response in responses if response.status_code == 409).json()
    assert winner["status_label"] == "en cours de traitement"
    assert loser["assignee"]["name"] == winner["assignee"]["name"]
    assert winner["assignee"]["name"] in loser["detail"]
    # Claiming one's own thread again is harmless.
    holder = sophie if winner["assignee"]["name"] == "Sophie BERNARD" else luc
    again = await client.post(f"/agent/threads/{thread_id}/claim", headers=holder.headers)
    assert again.status_code == 200


async def test_a_supervisor_assigns_and_agents_cannot(
    client: httpx.AsyncClient, people: People, directory: Directory
) -> None:
    member = people.member("AVA")
    agent = people.agent("AVA")
    supervisor = people.agent("AVA", role="supervisor", given_name="Anne", family_name="ROUX")
    await directory.lists(agent)
    thread_id = (await send(client, member)).json()["thread_id"]
    # What the body says of the agent is not believed: the directory names them.
    target = {"agent_id": str(agent.id), "agent_name": "Quelqu'un d'autre"}
    refused = await client.post(
        f"/agent/threads/{thread_id}/assign", json=target, headers=agent.headers
    )
    assert refused.status_code == 403
    assigned = await client.post(
        f"/agent/threads/{thread_id}/assign", json=target, headers=supervisor.headers
    )
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == {"id": str(agent.id), "name": "Sophie BERNARD"}
    mine = await client.get("/agent/threads", params={"assigned": "me"}, headers=agent.headers)
    assert [t["id"] for t in mine.json()["data"]] == [thread_id]


async def test_canned_replies_are_managed_by_supervisors_and_fill_in_their_placeholders(
    client: httpx.AsyncClient, people: People
) -> None:
    member = people.member("ALS", "Jeanne", "LEFEBVRE")
    agent = people.agent("ALS", given_name="Luc", family_name="PETIT")
    supervisor = people.agent("ALS", role="supervisor")
    body = (
        "Bonjour {prenom} {nom},\nvotre demande {reference} a bien été traitée.\n"
        "{conseiller}\n{caisse}"
    )
    assert (
        await client.post(
            "/agent/canned-replies", json={"title": "Traité", "body": body}, headers=agent.headers
        )
    ).status_code == 403
    unknown = await client.post(
        "/agent/canned-replies",
        json={"title": "Erreur", "body": "Bonjour {prénom}"},
        headers=supervisor.headers,
    )
    assert unknown.status_code == 422
    assert "{prénom}" in unknown.json()["detail"]
    created = await client.post(
        "/agent/canned-replies", json={"title": "Traité", "body": body}, headers=supervisor.headers
    )
    assert created.status_code == 201
    canned_id = created.json()["id"]
    listed = (await client.get("/agent/canned-replies", headers=agent.headers)).json()["data"]
    assert [canned["id"] for canned in listed] == [canned_id]
    other_fund = people.agent("NPC")
    assert canned_id not in {
        c["id"]
        for c in (await client.get("/agent/canned-replies", headers=other_fund.headers)).json()[
            "data"
        ]
    }

    thread = (await send(client, member)).json()
    preview = await client.get(
        f"/agent/threads/{thread['thread_id']}/canned-replies/{canned_id}", headers=agent.headers
    )
    expected = (
        f"Bonjour Jeanne LEFEBVRE,\nvotre demande {thread['reference']} a bien été traitée.\n"
        "Luc PETIT\nMSA d'Alsace"
    )
    assert preview.json()["text"] == expected
    reply = await client.post(
        f"/agent/threads/{thread['thread_id']}/replies",
        json={"canned_reply_id": canned_id},
        headers=agent.headers | key(),
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["status_label"] == "répondu"
    seen = (await client.get(f"/threads/{thread['thread_id']}", headers=member.headers)).json()
    assert seen["messages"][-1]["text"] == expected

    renamed = await client.put(
        f"/agent/canned-replies/{canned_id}",
        json={"title": "Demande traitée", "body": body},
        headers=supervisor.headers,
    )
    assert renamed.json()["title"] == "Demande traitée"
    assert (
        await client.delete(f"/agent/canned-replies/{canned_id}", headers=supervisor.headers)
    ).status_code == 204
    gone = await client.post(
        f"/agent/threads/{thread['thread_id']}/replies",
        json={"canned_reply_id": canned_id},
        headers=agent.headers | key(),
    )
    assert gone.status_code == 404


async def test_replies_follow_the_text_rules(client: httpx.AsyncClient, people: People) -> None:
    member = people.member("AUV")
    agent = people.agent("AUV")
    thread_id = (await send(client, member)).json()["thread_id"]
    url = f"/agent/threads/{thread_id}/replies"
    too_long = await client.post(url, json={"text": "a" * 5001}, headers=agent.headers | key())
    assert too_long.status_code == 422
    blank = await client.post(url, json={"text": "   "}, headers=agent.headers | key())
    assert blank.status_code == 422
    both = await client.post(
        url, json={"text": "x", "canned_reply_id": str(uuid.uuid4())}, headers=agent.headers | key()
    )
    assert both.status_code == 422
    longest = await client.post(url, json={"text": "é" * 5000}, headers=agent.headers | key())
    assert longest.status_code == 201


async def test_internal_notes_are_for_the_fund_only(
    client: httpx.AsyncClient, people: People
) -> None:
    member = people.member("ARM")
    agent = people.agent("ARM")
    thread_id = (await send(client, member)).json()["thread_id"]
    note = await client.post(
        f"/agent/threads/{thread_id}/notes",
        json={"text": "Adhérent déjà appelé le 12, rappeler lundi."},
        headers=agent.headers,
    )
    assert note.status_code == 201
    detail = (await client.get(f"/agent/threads/{thread_id}", headers=agent.headers)).json()
    assert [n["text"] for n in detail["notes"]] == ["Adhérent déjà appelé le 12, rappeler lundi."]
    member_view = await client.get(f"/threads/{thread_id}", headers=member.headers)
    assert "rappeler lundi" not in member_view.text
    assert "notes" not in member_view.json()


async def test_close_and_reopen(client: httpx.AsyncClient, people: People) -> None:
    member = people.member("BCL")
    agent = people.agent("BCL")
    thread_id = (await send(client, member)).json()["thread_id"]
    reopen_open = await client.post(f"/agent/threads/{thread_id}/reopen", headers=agent.headers)
    assert reopen_open.status_code == 409
    closed = await client.post(f"/agent/threads/{thread_id}/close", headers=agent.headers)
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_at"]
    reply = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Réponse"},
        headers=agent.headers | key(),
    )
    assert reply.status_code == 409
    assert "rouvrez-la" in reply.json()["detail"]
    reopened = await client.post(f"/agent/threads/{thread_id}/reopen", headers=agent.headers)
    assert reopened.json()["status_label"] == "envoyé"
    assert reopened.json()["closed_at"] is None


async def test_every_opening_by_an_agent_is_audited_and_the_member_sees_the_last_one(
    client: httpx.AsyncClient, people: People, clock: MovableClock
) -> None:
    member = people.member("BTO")
    sophie = people.agent("BTO", given_name="Sophie", family_name="BERNARD")
    luc = people.agent("BTO", given_name="Luc", family_name="PETIT")
    supervisor = people.agent("BTO", role="supervisor")
    first = (await send(client, member)).json()["thread_id"]
    second = (await send(client, member)).json()["thread_id"]

    before = (await client.get(f"/threads/{first}", headers=member.headers)).json()
    assert before["last_consulted_by_fund_at"] is None
    await client.get(f"/agent/threads/{first}", headers=sophie.headers)
    await client.get(f"/agent/threads/{first}", headers=luc.headers)
    await client.get(f"/agent/threads/{second}", headers=sophie.headers)

    trail = await client.get(f"/agent/threads/{first}/audit", headers=supervisor.headers)
    assert trail.status_code == 200
    assert [entry["agent"]["name"] for entry in trail.json()["data"]] == [
        "Luc PETIT",
        "Sophie BERNARD",
    ]
    by_agent = await client.get(
        "/agent/audit", params={"agent_id": str(sophie.id)}, headers=supervisor.headers
    )
    assert [entry["thread_id"] for entry in by_agent.json()["data"]] == [second, first]
    page = await client.get("/agent/audit", params={"limit": 1}, headers=supervisor.headers)
    assert page.json()["next_cursor"]
    assert (
        await client.get(f"/agent/threads/{first}/audit", headers=sophie.headers)
    ).status_code == 403

    after = (await client.get(f"/threads/{first}", headers=member.headers)).json()
    assert after["last_consulted_by_fund_at"] == trail.json()["data"][0]["accessed_at"]


async def test_the_member_sees_each_status_in_french(
    client: httpx.AsyncClient, people: People
) -> None:
    member: Caller = people.member("CHA")
    agent = people.agent("CHA")
    thread_id = (await send(client, member)).json()["thread_id"]

    async def label() -> str:
        thread = (await client.get(f"/threads/{thread_id}", headers=member.headers)).json()
        return str(thread["status_label"])

    assert await label() == "envoyé"
    await client.post(f"/agent/threads/{thread_id}/claim", headers=agent.headers)
    assert await label() == "en cours de traitement"
    await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Réponse."},
        headers=agent.headers | key(),
    )
    assert await label() == "répondu"
    await client.post(f"/agent/threads/{thread_id}/close", headers=agent.headers)
    assert await label() == "clos"
