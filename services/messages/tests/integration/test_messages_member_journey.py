"""The member's journey: prepare, send, list, search, open, follow up; statuses as they see them."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest

from services.messages.tests.support import People, new_message, send

pytestmark = pytest.mark.integration


async def test_prepare_returns_the_recap_the_online_service_of_the_fund_and_stores_nothing(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    response = await client.post(
        "/messages/prepare",
        json=new_message(text="  Bonjour,\nje déménage le mois prochain.  "),
        headers=camille.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recap"]["theme"]["label"] == "Famille, Allocations familiales, aides au logement"
    assert body["recap"]["subject"]["label"] == "Allocations familiales"
    assert body["recap"]["motif"]["label"] == "Mon changement de situation"
    assert body["recap"]["text"] == "Bonjour,\nje déménage le mois prochain."
    assert body["online_service"]["title"] == "Déclarer un changement de situation"
    assert (
        body["online_service"]["url"] == "https://nord-pasdecalais.msa.fr/changement-de-situation"
    )
    assert body["advisories"] == []
    assert body["characters"] == len("Bonjour,\nje déménage le mois prochain.")
    assert body["characters_left"] == 750 - body["characters"]

    # A member of a fund without its own page gets the national address.
    jeanne = people.member("CNO", "Jeanne", "LEFEBVRE")
    other = await client.post("/messages/prepare", json=new_message(), headers=jeanne.headers)
    assert other.json()["online_service"]["url"] == "https://www.msa.fr/changement-de-situation"

    listed = await client.get("/threads", headers=camille.headers)
    assert listed.json() == {"data": [], "next_cursor": None}


async def test_prepare_warns_about_medical_content_without_blocking(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member()
    text = "Je suis en arrêt depuis mon hospitalisation pour une chimiothérapie, que faire ?"
    response = await client.post(
        "/messages/prepare", json=new_message(text=text), headers=camille.headers
    )
    assert response.status_code == 200
    assert [advisory["code"] for advisory in response.json()["advisories"]] == ["medical-data"]
    assert "données médicales" in response.json()["advisories"][0]["message"]
    sent = await send(client, camille, text=text)
    assert sent.status_code == 201


async def test_prepare_refuses_a_choice_the_catalog_does_not_offer(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member()
    for overrides, field in (
        ({"theme": "inconnu"}, "theme"),
        ({"subject": "famille-inconnu"}, "subject"),
        ({"motif": "af-ancien-motif"}, "motif"),  # inactive
        ({"theme": "sante", "subject": "famille-allocations"}, "subject"),
    ):
        response = await client.post(
            "/messages/prepare", json=new_message(**overrides), headers=camille.headers
        )
        assert response.status_code == 422, overrides
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["field"] == field
        assert "choisissez" in response.json()["detail"]


async def test_send_stores_the_thread_with_a_reference_and_a_due_date_in_working_days(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    response = await send(client, camille)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["reference"].startswith("NPC-")
    year, number = receipt["reference"].split("-")[1:]
    assert len(number) == 6
    assert int(year) >= 2026
    assert receipt["status"] == "submitted"
    assert receipt["status_label"] == "envoyé"
    assert receipt["motif"] == {
        "code": "af-changement-situation",
        "label": "Mon changement de situation",
    }
    submitted = date.fromisoformat(receipt["submitted_at"][:10])
    due = date.fromisoformat(receipt["due_date"])
    assert 5 <= (due - submitted).days <= 12  # five working days, weekends and holidays skipped

    second = (await send(client, camille)).json()
    assert int(second["reference"].split("-")[2]) > int(number)


async def test_the_member_lists_their_threads_newest_first_page_by_page(
    client: httpx.AsyncClient, people: People
) -> None:
    paul = people.member("NPC", "Paul", "DURAND-LEROY")
    references = []
    for index in range(5):
        sent = await send(client, paul, text=f"Ma question numéro {index} sur mes allocations.")
        references.append(sent.json()["reference"])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/threads", params=params, headers=paul.headers)).json()
        pages += 1
        seen += [thread["reference"] for thread in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(references))
    assert pages == 3
    first = (await client.get("/threads", headers=paul.headers)).json()["data"][0]
    assert first["status_label"] == "envoyé"
    assert first["unread_replies"] == 0

    broken = await client.get("/threads", params={"cursor": "pas-un-curseur"}, headers=paul.headers)
    assert broken.status_code == 400
    assert "première page" in broken.json()["detail"]


async def test_the_member_searches_their_own_threads_only(
    client: httpx.AsyncClient, people: People
) -> None:
    marie = people.member("COR", "Marie-Ange", "SANTONI")
    other = people.member("COR")
    wanted = await send(client, marie, text="Question sur le quotient familial de ma fille.")
    await send(client, marie, motif="af-autre", text="Une autre question sans rapport aucun.")
    await send(client, other, text="Question sur le quotient familial de mon neveu.")

    async def search(q: str) -> list[str]:
        response = await client.get("/threads", params={"q": q}, headers=marie.headers)
        assert response.status_code == 200
        return [thread["reference"] for thread in response.json()["data"]]

    reference = wanted.json()["reference"]
    assert await search("quotient") == [reference]
    assert await search("QUOTIENT familial") == [reference]
    assert await search("fille") == [reference]
    assert await search(reference) == [reference]
    assert len(await search("Allocations")) == 2  # the subject's label
    assert await search("neveu") == []  # another member's words


async def test_opening_a_thread_marks_replies_read_and_a_follow_up_reopens_it(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    agent = people.agent("NPC")
    thread = (await send(client, camille)).json()
    thread_id = thread["thread_id"]

    reply = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Bonjour, votre déclaration est bien prise en compte."},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text

    listed = (await client.get("/threads", headers=camille.headers)).json()["data"][0]
    assert listed["status_label"] == "répondu"
    assert listed["unread_replies"] == 1

    opened = await client.get(f"/threads/{thread_id}", headers=camille.headers)
    assert opened.status_code == 200
    detail = opened.json()
    assert [m["kind"] for m in detail["messages"]] == ["message", "reply"]
    assert detail["messages"][1]["text"] == "Bonjour, votre déclaration est bien prise en compte."
    assert detail["messages"][1]["read_at"] is not None
    assert "author" not in detail["messages"][1]
    assert detail["last_consulted_by_fund_at"] is None  # the agent answered without opening it
    after = (await client.get("/threads", headers=camille.headers)).json()["data"][0]
    assert after["unread_replies"] == 0

    follow_up = await client.post(
        f"/threads/{thread_id}/messages",
        json={"text": "Merci, et pour mon fils, que dois-je faire ?"},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert follow_up.status_code == 201, follow_up.text
    assert follow_up.json()["follow_up"] is True
    assert follow_up.json()["status_label"] == "en cours de traitement"  # the agent has it
    detail = (await client.get(f"/threads/{thread_id}", headers=camille.headers)).json()
    assert [m["kind"] for m in detail["messages"]] == ["message", "reply", "message"]

    closed = await client.post(f"/agent/threads/{thread_id}/close", headers=agent.headers)
    assert closed.json()["status_label"] == "clos"
    refused = await client.post(
        f"/threads/{thread_id}/messages",
        json={"text": "Encore une question sur ce sujet."},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert refused.status_code == 409
    assert "nouveau message" in refused.json()["detail"]
    filtered = await client.get("/threads", params={"status": "closed"}, headers=camille.headers)
    assert [t["id"] for t in filtered.json()["data"]] == [thread_id]
