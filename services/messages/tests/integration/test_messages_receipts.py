"""The proof of deposit through the API: the fingerprint stored with each member's message,
the PDF only for the thread's member, and the public check that says nothing else."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pypdf
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from messages.adapters.orm import MESSAGES
from messages.adapters.threads import ThreadRepository
from messages.domain.receipts import deposit_digest
from services.messages.tests.support import Caller, People, send

pytestmark = pytest.mark.integration


async def stored(app: FastAPI, thread_id: str, message_id: str) -> tuple[str | None, str]:
    """The fingerprint stored with the message, and one recomputed from what is stored."""
    async with app.state.runtime.sessions() as session:
        repository = ThreadRepository(session)
        thread = await repository.get_thread(uuid.UUID(thread_id))
        message = await repository.get_message(uuid.UUID(thread_id), uuid.UUID(message_id))
        assert thread is not None
        assert message is not None
        return message.deposit_sha256, deposit_digest(thread, message)


async def download(
    client: httpx.AsyncClient, caller: Caller, thread_id: str, message_id: str
) -> httpx.Response:
    return await client.get(
        f"/threads/{thread_id}/messages/{message_id}/receipt", headers=caller.headers
    )


async def verify(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/receipts/verify", json=body)


async def test_each_sent_message_keeps_the_fingerprint_of_its_canonical_form(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    sent = (await send(client, camille)).json()
    follow_up = await client.post(
        f"/threads/{sent['thread_id']}/messages",
        json={"text": "J'ajoute : mon nouveau bail commence le 1er mars."},
        headers=camille.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert follow_up.status_code == 201, follow_up.text

    first, first_again = await stored(app, sent["thread_id"], sent["message_id"])
    second, second_again = await stored(app, sent["thread_id"], follow_up.json()["message_id"])
    assert first is not None
    assert len(first) == 64
    assert first == first_again
    assert second is not None
    assert second == second_again
    assert second != first
    # Never in the response itself: only the PDF carries it.
    assert first not in str(sent)


async def test_the_member_downloads_the_pdf_of_their_message(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member(given_name="Camille", family_name="MARTIN")
    sent = (
        await send(client, camille, text="Bonjour, je déclare mon déménagement à Lille, cœur.")
    ).json()

    response = await download(client, camille, sent["thread_id"], sent["message_id"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="accuse-de-depot-{sent["reference"]}.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    text = "\n".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    digest, _ = await stored(app, sent["thread_id"], sent["message_id"])
    assert digest is not None
    for expected in (
        "MSA Nord-Pas de Calais",
        sent["reference"],
        "(heure de Paris)",
        "Mon changement de situation",
        "Bonjour, je déclare mon déménagement à Lille, cœur.",
        digest,
    ):
        assert expected in text, expected
    again = await download(client, camille, sent["thread_id"], sent["message_id"])
    assert hashlib.sha256(again.content).digest() == hashlib.sha256(response.content).digest()


async def test_no_one_else_gets_the_pdf_and_a_reply_has_none(
    client: httpx.AsyncClient, people: People
) -> None:
    camille, dominique = people.member(), people.member()
    agent = people.agent()
    sent = (await send(client, camille)).json()
    thread_id, message_id = sent["thread_id"], sent["message_id"]
    reply = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Bonjour, c'est noté."},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text

    someone_else = await download(client, dominique, thread_id, message_id)
    assert someone_else.status_code == 404
    assert someone_else.json()["type"].endswith("/thread-not-found")
    of_a_reply = await download(client, camille, thread_id, reply.json()["reply"]["id"])
    assert of_a_reply.status_code == 404
    assert of_a_reply.json()["type"].endswith("/message-not-found")
    unknown = await download(client, camille, thread_id, str(uuid.uuid4()))
    assert unknown.status_code == 404
    assert (await download(client, agent, thread_id, message_id)).status_code == 403
    anonymous = await client.get(f"/threads/{thread_id}/messages/{message_id}/receipt")
    assert anonymous.status_code == 401


async def test_checking_says_only_whether_the_fingerprint_matches(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    sent = (await send(client, camille)).json()
    digest, _ = await stored(app, sent["thread_id"], sent["message_id"])
    assert digest is not None
    pdf = (await download(client, camille, sent["thread_id"], sent["message_id"])).content

    good = await verify(client, reference=sent["reference"], sha256=digest)
    assert good.status_code == 200
    assert good.json() == {"matches": True}
    typed = await verify(client, reference=f" {sent['reference'].lower()} ", sha256=digest.upper())
    assert typed.json() == {"matches": True}
    from_pdf = await verify(client, reference=sent["reference"], pdf=base64.b64encode(pdf).decode())
    assert from_pdf.json() == {"matches": True}

    one_byte_changed = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    wrong_hash = await verify(client, reference=sent["reference"], sha256=one_byte_changed)
    unknown_reference = await verify(client, reference="NPC-1999-999999", sha256=digest)
    other_thread = (await send(client, camille)).json()
    elsewhere = await verify(client, reference=other_thread["reference"], sha256=digest)
    for answer in (wrong_hash, unknown_reference, elsewhere):
        assert answer.status_code == 200
        assert answer.content == wrong_hash.content == b'{"matches":false}'
        assert answer.headers["content-type"] == wrong_hash.headers["content-type"]


async def test_a_changed_byte_of_the_text_fails_the_check(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    sent = (await send(client, camille)).json()
    async with app.state.runtime.sessions() as session:
        repository = ThreadRepository(session)
        thread = await repository.get_thread(uuid.UUID(sent["thread_id"]))
        message = await repository.get_message(
            uuid.UUID(sent["thread_id"]), uuid.UUID(sent["message_id"])
        )
    assert thread is not None
    assert message is not None
    body = message.body.encode()
    altered = (body[:-1] + bytes([body[-1] ^ 1])).decode()
    forged = deposit_digest(thread, replace(message, body=altered))
    answer = await verify(client, reference=sent["reference"], sha256=forged)
    assert answer.json() == {"matches": False}


async def test_checking_needs_a_fingerprint_or_a_pdf(client: httpx.AsyncClient) -> None:
    nothing = await verify(client, reference="NPC-2026-000001")
    assert nothing.status_code == 422
    not_base64 = await verify(client, reference="NPC-2026-000001", pdf="%%%")
    assert not_base64.status_code == 422
    not_a_receipt = await verify(
        client, reference="NPC-2026-000001", pdf=base64.b64encode(b"%PDF-1.7").decode()
    )
    assert not_a_receipt.json() == {"matches": False}
    not_hex = await verify(client, reference="NPC-2026-000001", sha256="bonjour")
    assert not_hex.json() == {"matches": False}


async def test_messages_stored_without_a_fingerprint_get_it_at_their_first_download(
    client: httpx.AsyncClient, app: FastAPI, people: People
) -> None:
    camille = people.member()
    sent = (await send(client, camille)).json()
    async with app.state.runtime.engine.begin() as connection:
        await connection.execute(
            MESSAGES.update()
            .where(MESSAGES.c.id == uuid.UUID(sent["message_id"]))
            .values(deposit_sha256=None)
        )
    before = await verify(client, reference=sent["reference"], sha256="a" * 64)
    assert before.json() == {"matches": False}

    assert (
        await download(client, camille, sent["thread_id"], sent["message_id"])
    ).status_code == 200

    digest, recomputed = await stored(app, sent["thread_id"], sent["message_id"])
    assert digest == recomputed
    async with app.state.runtime.engine.connect() as connection:
        kept = await connection.scalar(
            select(MESSAGES.c.deposit_sha256).where(MESSAGES.c.id == uuid.UUID(sent["message_id"]))
        )
    assert kept == digest
    assert (await verify(client, reference=sent["reference"], sha256=digest)).json() == {
        "matches": True
    }
