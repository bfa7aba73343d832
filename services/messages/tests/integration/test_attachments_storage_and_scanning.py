"""Attachments end to end inside the service, against a real S3-compatible server (s3proxy)
and a real clamd: upload, scan, download, send with a message or a reply, who may see a
file, withdraw it, the cleanup of uploads never sent, and the files' lifecycle with the
thread's retention and the member's account.

The app here has its own database and topics (its scanner consumes
``messages.attachment-uploaded.v1`` in a group of its own)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from contracts.topics import MEMBER_CONTACT
from devstack.attachments_fixtures import RunningObjectStorage
from messages.adapters.object_storage import ObjectStorage, ObjectStorageError
from messages.adapters.orm import ATTACHMENTS
from messages.domain.attachments import MAX_FILE_BYTES, UNATTACHED_LIFETIME_HOURS
from messages.domain.attachments_commands import PurgeExpiredAttachments
from messages.domain.commands import PurgeClosedThreads
from messages.main import create_app
from messages.service_layer.handlers.housekeeping import purge_closed_threads
from messages.service_layer.unit_of_work import MessagesUnitOfWork
from servicekit.migrations import upgrade_async
from servicekit.outbox import OUTBOX
from servicekit.testing import MovableClock, eventually, fresh_database
from services.messages.tests.support import (
    MIGRATIONS,
    Caller,
    People,
    catalog_snapshot,
    infected_pdf,
    photo_with_gps,
    publish_catalog,
    sample_pdf,
    send,
    service_settings,
    upload,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def storage(object_storage: RunningObjectStorage) -> AsyncIterator[ObjectStorage]:
    async with ObjectStorage(
        endpoint=object_storage.endpoint,
        bucket=f"test-{uuid.uuid4().hex[:12]}",
        access_key=object_storage.access_key,
        secret_key=object_storage.secret_key,
    ) as client:
        await client.ensure_bucket()
        yield client


@pytest.fixture(scope="module")
async def attachments_app(
    postgres_admin_url: str,
    kafka_bootstrap: str,
    new_topic_prefix: Callable[[str], str],
    jwks_url: str,
    storage: ObjectStorage,
    object_storage: RunningObjectStorage,
    clamd_address: str,
) -> AsyncIterator[tuple[FastAPI, MovableClock]]:
    prefix = new_topic_prefix("attachments")
    snapshot = catalog_snapshot(version=1)
    await publish_catalog(kafka_bootstrap, prefix, snapshot)
    clock = MovableClock()
    async with fresh_database(postgres_admin_url, "messages_attachments") as url:
        await upgrade_async(url, MIGRATIONS)
        application = create_app(
            service_settings(
                url,
                kafka_bootstrap,
                prefix,
                jwks_url,
                object_storage_endpoint=object_storage.endpoint,
                object_storage_bucket=storage.bucket,
                object_storage_access_key=object_storage.access_key,
                object_storage_secret_key=SecretStr(object_storage.secret_key),
                clamd_address=clamd_address,
            ),
            clock=clock,
        )
        async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):

            async def catalog_loaded() -> bool:
                return application.state.catalog.version == snapshot.version

            await eventually(catalog_loaded, timeout=60, message="catalog snapshot not loaded")
            yield application, clock


@pytest.fixture
async def client(attachments_app: tuple[FastAPI, MovableClock]) -> AsyncIterator[httpx.AsyncClient]:
    application, clock = attachments_app
    clock.offset = timedelta()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://messages.test"
    ) as http:
        yield http
    clock.offset = timedelta()


async def scanned(client: httpx.AsyncClient, caller: Caller, attachment_id: str) -> str:
    """Wait for the antivirus' verdict on a file; the verdict."""

    async def verdict() -> str | None:
        answer = await client.get(f"/attachments/{attachment_id}", headers=caller.headers)
        status: str = answer.json()["scan_status"]
        return None if status == "pending" else status

    return await eventually(verdict, timeout=60, message=f"scan of {attachment_id}")


async def outbox_events(app: FastAPI, event_type: str, key: str) -> list[dict[str, Any]]:
    async with app.state.runtime.engine.connect() as connection:
        rows = await connection.execute(
            select(OUTBOX.c.payload).where(OUTBOX.c.event_type == event_type, OUTBOX.c.key == key)
        )
        return [row.payload for row in rows]


async def stored(storage: ObjectStorage, key: str) -> bool:
    """Whether the object storage holds ``key``. The local s3proxy now and then answers a
    HEAD that follows a DELETE of the same key by a few milliseconds with a 500: asked
    again until it says yes or no."""

    async def answer() -> tuple[bool] | None:
        try:
            return (await storage.exists(key),)
        except ObjectStorageError:
            return None

    (found,) = await eventually(answer, timeout=10, message=f"an answer about {key}")
    return found


async def test_a_clean_pdf_is_scanned_then_downloaded_as_an_attachment_with_its_bytes(
    client: httpx.AsyncClient, people: People, attachments_app: tuple[FastAPI, MovableClock]
) -> None:
    camille = people.member("NPC")
    pdf = sample_pdf()
    uploaded = await upload(client, camille, pdf, "Attestation employeur été 2026.pdf")
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    assert file["name"] == "Attestation employeur été 2026.pdf"
    assert (file["media_type"], file["size"], file["message_id"]) == (
        "application/pdf",
        len(pdf),
        None,
    )

    assert await scanned(client, camille, file["id"]) == "clean"
    download = await client.get(f"/attachments/{file['id']}/content", headers=camille.headers)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''Attestation%20employeur%20%C3%A9t%C3%A9%202026.pdf"
        in (download.headers["content-disposition"])
    )
    assert download.headers["x-content-type-options"] == "nosniff"

    # The event says a file arrived, never its name; the key in the storage says nothing.
    application, _ = attachments_app
    [event] = await outbox_events(application, "AttachmentUploaded", file["id"])
    assert "Attestation" not in str(event)
    async with application.state.runtime.engine.connect() as connection:
        key = await connection.scalar(
            select(ATTACHMENTS.c.storage_key).where(ATTACHMENTS.c.id == uuid.UUID(file["id"]))
        )
    assert key.startswith("objects/")
    assert "Attestation" not in key
    assert str(camille.id) not in key
    assert file["id"] not in key


async def test_an_infected_pdf_is_quarantined_never_served_and_cannot_be_sent(
    client: httpx.AsyncClient, people: People, storage: ObjectStorage
) -> None:
    camille = people.member("NPC")
    uploaded = await upload(client, camille, infected_pdf(), "facture.pdf")
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert await scanned(client, camille, file_id) == "infected"

    download = await client.get(f"/attachments/{file_id}/content", headers=camille.headers)
    assert download.status_code == 409
    assert download.json()["type"].endswith("attachment-quarantined")
    assert "antivirus" in download.json()["detail"]

    sent = await send(client, camille, attachment_ids=[file_id])
    assert sent.status_code == 422
    assert "bloqué par l'antivirus" in sent.json()["detail"]


async def test_a_renamed_program_and_a_file_over_10_mb_are_refused_in_french(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    program = await upload(client, camille, b"MZ\x90\x00\x03" + bytes(5000), "facture.pdf")
    assert program.status_code == 422
    assert program.headers["content-type"] == "application/problem+json"
    assert "n'est pas accepté" in program.json()["detail"]

    too_big = await upload(client, camille, b"%PDF-1.4\n" + bytes(MAX_FILE_BYTES - 8), "gros.pdf")
    assert too_big.status_code == 413
    assert "10 Mo" in too_big.json()["detail"]

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: refused as it arrives
        yield b"%PDF-1.4\n"
        for _ in range(11):
            yield bytes(1024 * 1024)

    chunked = await client.post(
        "/attachments",
        params={"name": "gros.pdf"},
        content=streamed(),
        headers=camille.headers | {"Content-Type": "application/octet-stream"},
    )
    assert chunked.status_code == 413


async def test_a_photo_is_stored_without_its_gps_position(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    uploaded = await upload(client, camille, photo_with_gps(), "IMG_0042.JPG")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["name"] == "IMG_0042.jpg"
    assert await scanned(client, camille, uploaded.json()["id"]) == "clean"
    download = await client.get(
        f"/attachments/{uploaded.json()['id']}/content", headers=camille.headers
    )
    assert download.content.startswith(b"\xff\xd8\xff")
    assert b"PhoneMaker" not in download.content
    assert b"Exif" not in download.content


async def test_files_sent_with_a_message_reach_the_fund_and_no_stranger(
    client: httpx.AsyncClient, people: People, attachments_app: tuple[FastAPI, MovableClock]
) -> None:
    camille = people.member("NPC")
    stranger = people.member("NPC")
    agent = people.agent("NPC")
    other_fund = people.agent("CNO")
    first = (await upload(client, camille, sample_pdf("Bail"), "bail.pdf")).json()
    second = (await upload(client, camille, photo_with_gps(), "photo.jpg")).json()
    for file in (first, second):
        assert await scanned(client, camille, file["id"]) == "clean"

    # Before it is sent, a file is its uploader's alone.
    assert (
        await client.get(f"/attachments/{first['id']}", headers=stranger.headers)
    ).status_code == 404
    assert (
        await client.get(f"/agent/attachments/{first['id']}/content", headers=agent.headers)
    ).status_code == 404

    sent = await send(client, camille, attachment_ids=[first["id"], second["id"]])
    assert sent.status_code == 201, sent.text
    thread_id = sent.json()["thread_id"]

    listed = await client.get(f"/agent/threads/{thread_id}/attachments", headers=agent.headers)
    assert [file["name"] for file in listed.json()["data"]] == ["bail.pdf", "photo.jpg"]
    assert {file["scan_status"] for file in listed.json()["data"]} == {"clean"}
    opened = await client.get(f"/agent/attachments/{first['id']}/content", headers=agent.headers)
    assert opened.status_code == 200
    assert opened.content == sample_pdf("Bail")

    for stranger_request in (
        client.get(f"/attachments/{first['id']}/content", headers=stranger.headers),
        client.get(f"/attachments/{first['id']}", headers=stranger.headers),
        client.get(f"/threads/{thread_id}/attachments", headers=stranger.headers),
        client.get(f"/agent/attachments/{first['id']}/content", headers=other_fund.headers),
        client.get(f"/agent/threads/{thread_id}/attachments", headers=other_fund.headers),
        client.get(f"/attachments/{uuid.uuid4()}/content", headers=camille.headers),
    ):
        answer = await stranger_request
        assert answer.status_code == 404
        assert "introuvable" in answer.json()["detail"] or "n'existe pas" in answer.json()["detail"]

    # Sent, a file can no longer be withdrawn, nor sent again.
    withdrawn = await client.delete(f"/attachments/{first['id']}", headers=camille.headers)
    assert withdrawn.status_code == 409
    again = await send(client, camille, attachment_ids=[first["id"]])
    assert again.status_code == 422

    # The event counts the files and names their ids, never their names.
    application, _ = attachments_app
    [event] = await outbox_events(application, "MessageSubmitted", thread_id)
    assert event["attachment_count"] == 2
    assert event["attachment_ids"] == [first["id"], second["id"]]
    assert "bail" not in str(event)


async def test_an_agent_attaches_a_file_to_a_reply_that_the_member_opens(
    client: httpx.AsyncClient, people: People, attachments_app: tuple[FastAPI, MovableClock]
) -> None:
    camille = people.member("NPC")
    agent = people.agent("NPC")
    thread_id = (await send(client, camille)).json()["thread_id"]
    form = (
        await upload(client, agent, sample_pdf("Formulaire"), "formulaire.pdf", agent=True)
    ).json()
    reply = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Voici le formulaire à remplir.", "attachment_ids": [form["id"]]},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert reply.status_code == 201, reply.text
    listed = (await client.get(f"/threads/{thread_id}/attachments", headers=camille.headers)).json()
    assert [(f["name"], f["uploader_kind"]) for f in listed["data"]] == [
        ("formulaire.pdf", "agent")
    ]

    async def clean() -> bool:
        answer = await client.get(f"/attachments/{form['id']}/content", headers=camille.headers)
        return answer.status_code == 200 and answer.content == sample_pdf("Formulaire")

    await eventually(clean, timeout=60, message="the member downloads the agent's file")
    application, _ = attachments_app
    [event] = await outbox_events(application, "ReplyPosted", thread_id)
    assert (event["attachment_count"], event["attachment_ids"]) == (1, [form["id"]])


async def test_six_files_are_too_many_for_one_message(
    client: httpx.AsyncClient, people: People
) -> None:
    camille = people.member("NPC")
    ids = [(await upload(client, camille, sample_pdf(f"page {n}"))).json()["id"] for n in range(6)]
    sent = await send(client, camille, attachment_ids=ids)
    assert sent.status_code == 422
    assert "5 fichiers au plus" in sent.json()["detail"]


async def test_a_member_withdraws_a_file_before_sending_and_it_leaves_the_storage(
    client: httpx.AsyncClient,
    people: People,
    storage: ObjectStorage,
    attachments_app: tuple[FastAPI, MovableClock],
) -> None:
    camille = people.member("NPC")
    file_id = (await upload(client, camille, sample_pdf())).json()["id"]
    application, _ = attachments_app
    async with application.state.runtime.engine.connect() as connection:
        key = await connection.scalar(
            select(ATTACHMENTS.c.storage_key).where(ATTACHMENTS.c.id == uuid.UUID(file_id))
        )
    assert await stored(storage, key)
    stranger = people.member("NPC")
    assert (
        await client.delete(f"/attachments/{file_id}", headers=stranger.headers)
    ).status_code == 404
    assert (
        await client.delete(f"/attachments/{file_id}", headers=camille.headers)
    ).status_code == 204
    assert (await client.get(f"/attachments/{file_id}", headers=camille.headers)).status_code == 404
    assert not await stored(storage, key)


async def test_uploads_never_sent_are_removed_after_24_hours_and_sent_ones_stay(
    client: httpx.AsyncClient,
    people: People,
    storage: ObjectStorage,
    attachments_app: tuple[FastAPI, MovableClock],
) -> None:
    application, clock = attachments_app
    camille = people.member("NPC")
    forgotten = (await upload(client, camille, sample_pdf("oublié"))).json()["id"]
    kept = (await upload(client, camille, sample_pdf("envoyé"))).json()["id"]
    assert (await send(client, camille, attachment_ids=[kept])).status_code == 201

    clock.offset = timedelta(hours=UNATTACHED_LIFETIME_HOURS, minutes=1)
    purge = PurgeExpiredAttachments(timedelta(hours=UNATTACHED_LIFETIME_HOURS), batch_size=1000)
    while await application.state.bus.handle(purge):
        pass
    assert (
        await client.get(f"/attachments/{forgotten}", headers=camille.headers)
    ).status_code == 404
    assert (await client.get(f"/attachments/{kept}", headers=camille.headers)).status_code == 200


async def storage_key(app: FastAPI, file_id: str) -> str | None:
    async with app.state.runtime.engine.connect() as connection:
        key: str | None = await connection.scalar(
            select(ATTACHMENTS.c.storage_key).where(ATTACHMENTS.c.id == uuid.UUID(file_id))
        )
    return key


async def test_a_deleted_account_takes_the_files_its_member_uploaded_out_of_the_storage(
    client: httpx.AsyncClient,
    people: People,
    storage: ObjectStorage,
    attachments_app: tuple[FastAPI, MovableClock],
    kafka_bootstrap: str,
) -> None:
    """The auth service deletes an account with a tombstone on the contact topic: the files
    the member sent, and those not sent yet, leave the object storage and the thread; the
    agent's file in the same thread and another member's files stay."""
    application, _ = attachments_app
    camille, other = people.member("NPC"), people.member("NPC")
    agent = people.agent("NPC")
    sent = (await upload(client, camille, sample_pdf("envoyé"))).json()["id"]
    waiting = (await upload(client, camille, sample_pdf("pas encore envoyé"))).json()["id"]
    kept = (await upload(client, other, sample_pdf("autre adhérent"))).json()["id"]
    thread_id = (await send(client, camille, attachment_ids=[sent])).json()["thread_id"]
    agents_file = (await upload(client, agent, sample_pdf("réponse"), agent=True)).json()["id"]
    replied = await client.post(
        f"/agent/threads/{thread_id}/replies",
        json={"text": "Voici le document.", "attachment_ids": [agents_file]},
        headers=agent.headers | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert replied.status_code == 201, replied.text
    keys = {
        name: await storage_key(application, file_id)
        for name, file_id in (
            ("sent", sent),
            ("waiting", waiting),
            ("kept", kept),
            ("agent", agents_file),
        )
    }
    for key in keys.values():
        assert key is not None
        assert await stored(storage, key)

    prefix = application.state.runtime.settings.kafka_topic_prefix
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            prefix + MEMBER_CONTACT.name, None, key=str(camille.id).encode()
        )
    finally:
        await producer.stop()

    async def gone() -> bool:
        return not await stored(storage, str(keys["sent"])) and not await stored(
            storage, str(keys["waiting"])
        )

    await eventually(gone, timeout=60, message="the deleted account's files")
    for file_id in (sent, waiting):
        answer = await client.get(f"/agent/attachments/{file_id}", headers=agent.headers)
        assert answer.status_code == 404
    listed = await client.get(f"/agent/threads/{thread_id}/attachments", headers=agent.headers)
    assert [file["id"] for file in listed.json()["data"]] == [agents_file]
    assert await stored(storage, str(keys["kept"]))
    assert await stored(storage, str(keys["agent"]))
    assert (await client.get(f"/attachments/{kept}", headers=other.headers)).status_code == 200


async def test_the_files_of_a_thread_removed_by_retention_leave_the_storage(
    client: httpx.AsyncClient,
    people: People,
    storage: ObjectStorage,
    attachments_app: tuple[FastAPI, MovableClock],
) -> None:
    """``purge-closed`` removes a thread closed long ago; its files lose their message and
    the attachments' cleanup takes their objects out of the storage."""
    application, clock = attachments_app
    camille, agent = people.member("CNO"), people.agent("CNO")
    clock.offset = -timedelta(days=365 * 7)
    old_file = (await upload(client, camille, sample_pdf("ancien"))).json()["id"]
    old_thread = (await send(client, camille, attachment_ids=[old_file])).json()["thread_id"]
    closed = await client.post(f"/agent/threads/{old_thread}/close", headers=agent.headers)
    assert closed.status_code == 200, closed.text
    clock.offset = timedelta()
    recent_file = (await upload(client, camille, sample_pdf("récent"))).json()["id"]
    assert (await send(client, camille, attachment_ids=[recent_file])).status_code == 201
    old_key, recent_key = (
        await storage_key(application, old_file),
        await storage_key(application, recent_file),
    )
    assert old_key is not None
    assert recent_key is not None

    report = await purge_closed_threads(
        PurgeClosedThreads(older_than_years=5),
        uow=lambda: MessagesUnitOfWork(application.state.runtime.sessions, producer="messages"),
        clock=clock,
    )
    assert report.threads >= 1
    purge = PurgeExpiredAttachments(timedelta(hours=UNATTACHED_LIFETIME_HOURS), batch_size=1000)
    while await application.state.bus.handle(purge):
        pass
    assert not await stored(storage, old_key)
    assert await storage_key(application, old_file) is None
    assert await stored(storage, recent_key)
    answer = await client.get(f"/attachments/{old_file}", headers=camille.headers)
    assert answer.status_code == 404
