"""Attachments: upload, look at, download, withdraw; join uploads to a message being sent;
scan (the consumer of ``AttachmentUploaded``); remove what is expired, and a deleted
account's files (the contact topic's tombstones).

Who sees a file: its uploader, and, once it is sent in a thread, the thread's member and the
agents of the thread's fund. Anyone else gets the 404 of a file that does not exist.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Sequence

from contracts.events.attachments import AttachmentScanned, AttachmentUploaded
from contracts.events.auth import MemberContactChanged
from messages.adapters.attachments_content import Spool
from messages.adapters.object_storage import ObjectStorage
from messages.adapters.scanner import Clamd
from messages.domain.attachments import (
    Attachment,
    AttachmentLocked,
    ScanStatus,
    attachable,
    attachment_not_found,
    check_selection,
    clean_name,
)
from messages.domain.attachments_commands import (
    Caller,
    DeleteAttachment,
    Download,
    DownloadAttachment,
    GetAttachment,
    ListThreadAttachments,
    PurgeExpiredAttachments,
    UploadAttachment,
)
from messages.domain.commands import Agent, Member
from messages.service_layer.handlers.common import thread_not_found
from messages.service_layer.unit_of_work import MessagesUnitOfWork, UnitOfWorkFactory
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)


def new_storage_key(prefix: str = "objects") -> str:
    """A key that tells nothing: no name, no member, no date; 128 random bits."""
    return f"{prefix}/{secrets.token_hex(16)}"


def _kind(caller: Caller) -> str:
    return "agent" if isinstance(caller, Agent) else "member"


async def _visible(
    unit: MessagesUnitOfWork, caller: Caller, attachment_id: uuid.UUID
) -> Attachment:
    """The file if the caller may see it; the 404 of a missing file otherwise."""
    attachment = await unit.attachments.get(attachment_id)
    if attachment is None:
        raise attachment_not_found()
    if attachment.uploader_id == caller.id and attachment.uploader_kind == _kind(caller):
        return attachment
    if attachment.thread_id is not None:
        if isinstance(caller, Member):
            thread = await unit.threads.get_thread(attachment.thread_id, member_id=caller.id)
        else:
            thread = await unit.threads.get_thread(attachment.thread_id, fund=caller.fund)
        if thread is not None:
            return attachment
    raise attachment_not_found()


async def upload_attachment(
    cmd: UploadAttachment, *, uow: UnitOfWorkFactory, clock: Clock, storage: ObjectStorage
) -> Attachment:
    """Spool, check and clean the file, store it under a random key, record it and announce
    it to the antivirus (``AttachmentUploaded``) in the same transaction."""
    spool = Spool()
    try:
        received = await spool.receive(cmd.chunks)
        checked = await spool.check(received)
        attachment = Attachment(
            id=uuid.uuid4(),
            storage_key=new_storage_key(),
            name=clean_name(cmd.file_name, checked.kind),
            media_type=checked.media_type,
            size=checked.size,
            sha256=checked.sha256,
            fund=cmd.uploader.fund,
            uploader_kind="agent" if isinstance(cmd.uploader, Agent) else "member",
            uploader_id=cmd.uploader.id,
            created_at=clock.now(),
        )
        await storage.put_file(
            attachment.storage_key,
            checked.path,
            sha256=checked.sha256,
            media_type=checked.media_type,
        )
    finally:
        spool.close()
    try:
        async with uow() as unit:
            await unit.attachments.add(attachment)
            unit.publish(
                AttachmentUploaded.new(
                    producer=unit.producer,
                    occurred_at=attachment.created_at,
                    attachment_id=attachment.id,
                    fund=attachment.fund,
                    uploader_kind=attachment.uploader_kind,
                    media_type=attachment.media_type,
                    size=attachment.size,
                    uploaded_at=attachment.created_at,
                )
            )
            await unit.commit()
    except BaseException:
        await storage.delete(attachment.storage_key)
        raise
    logger.info("attachment uploaded", attachment_id=str(attachment.id), size=attachment.size)
    return attachment


async def get_attachment(cmd: GetAttachment, *, uow: UnitOfWorkFactory) -> Attachment:
    async with uow() as unit:
        return await _visible(unit, cmd.caller, cmd.attachment_id)


async def download_attachment(
    cmd: DownloadAttachment, *, uow: UnitOfWorkFactory, storage: ObjectStorage
) -> Download:
    """The file's bytes, only once the antivirus found it clean."""
    async with uow() as unit:
        attachment = await _visible(unit, cmd.caller, cmd.attachment_id)
    attachment.downloadable()
    return Download(attachment, storage.stream(attachment.storage_key))


async def delete_attachment(
    cmd: DeleteAttachment, *, uow: UnitOfWorkFactory, storage: ObjectStorage
) -> None:
    """The uploader withdraws a file not sent yet: the row and the object go."""
    async with uow() as unit:
        attachment = await unit.attachments.get(cmd.attachment_id, for_update=True)
        if (
            attachment is None
            or attachment.uploader_id != cmd.caller.id
            or attachment.uploader_kind != _kind(cmd.caller)
        ):
            raise attachment_not_found()
        if attachment.sent:
            raise AttachmentLocked(
                "attachment-sent",
                "Ce fichier a été envoyé avec un message : il ne peut plus être retiré.",
            )
        await unit.attachments.remove(attachment.id)
        await unit.commit()
    await storage.delete(attachment.storage_key)


async def list_thread_attachments(
    cmd: ListThreadAttachments, *, uow: UnitOfWorkFactory
) -> list[Attachment]:
    async with uow() as unit:
        if isinstance(cmd.caller, Member):
            thread = await unit.threads.get_thread(cmd.thread_id, member_id=cmd.caller.id)
        else:
            thread = await unit.threads.get_thread(cmd.thread_id, fund=cmd.caller.fund)
        if thread is None:
            raise thread_not_found()
        return await unit.attachments.of_thread(thread.id)


async def select_uploads(
    unit: MessagesUnitOfWork, uploader_id: uuid.UUID, attachment_ids: Sequence[uuid.UUID]
) -> list[Attachment]:
    """The caller's uploads chosen for the message being sent, in the order given, checked
    (their own, not sent yet, not infected, at most 5 and 20 MB); locked until it commits."""
    found = await unit.attachments.uploads_of(uploader_id, attachment_ids)
    selected = [attachable(found.get(attachment_id)) for attachment_id in attachment_ids]
    check_selection(selected, attachment_ids)
    return selected


async def purge_expired_attachments(
    cmd: PurgeExpiredAttachments, *, uow: UnitOfWorkFactory, clock: Clock, storage: ObjectStorage
) -> int:
    """Objects first, then rows: a crash in between leaves a row whose object is gone, which
    the next pass removes (deleting a missing object is no failure)."""
    async with uow() as unit:
        expired = await unit.attachments.expired(clock.now() - cmd.unattached_for, cmd.batch_size)
        for attachment in expired:
            await storage.delete(attachment.storage_key)
            await unit.attachments.remove(attachment.id)
        await unit.commit()
    if expired:
        logger.info("expired attachments removed", count=len(expired))
    return len(expired)


async def scan_uploaded_attachment(
    event: AttachmentUploaded,
    uow: MessagesUnitOfWork,
    *,
    storage: ObjectStorage,
    scanner: Clamd,
    clock: Clock,
) -> None:
    """Consumer of ``AttachmentUploaded``: clamd reads the stored file; a clean file becomes
    downloadable, an infected one is moved under ``quarantine/`` and never served. The
    verdict is recorded and announced (``AttachmentScanned``) in the consumer's transaction;
    clamd or the storage away is an exception, so the event is retried."""
    attachment = await uow.attachments.get(event.attachment_id, for_update=True)
    if attachment is None or attachment.scan_status is not ScanStatus.PENDING:
        return  # withdrawn or expired before its scan, or scanned already
    verdict = await scanner.scan(_chunks(storage, attachment.storage_key))
    key = attachment.storage_key
    if not verdict.clean:
        key = new_storage_key("quarantine")
        await storage.copy(attachment.storage_key, key)
        await storage.delete(attachment.storage_key)
        logger.warning(
            "attachment quarantined",
            attachment_id=str(attachment.id),
            signature=verdict.signature,
        )
    status = ScanStatus.CLEAN if verdict.clean else ScanStatus.INFECTED
    now = clock.now()
    await uow.attachments.record_scan(attachment.id, status, now, key)
    uow.publish(
        AttachmentScanned.new(
            producer=uow.producer,
            occurred_at=now,
            attachment_id=attachment.id,
            fund=attachment.fund,
            thread_id=attachment.thread_id,
            verdict=status.value,
            scanned_at=now,
        )
    )


async def forget_member_attachments(
    member_id: str, uow: MessagesUnitOfWork, *, storage: ObjectStorage
) -> None:
    """A tombstone on ``auth.member-contact.v1``: the member deleted their account. Every file
    they uploaded, sent or not, leaves the object storage, then its row, in the consumer's
    transaction (a crash in between leaves rows whose objects are gone: the tombstone is
    applied again, and deleting a missing object is no failure). Their threads stay with the
    fund, for its retention; the files agents sent them are the fund's and stay too."""
    try:
        member = uuid.UUID(member_id)
    except ValueError:
        return  # not a member's key: nothing of ours
    files = await uow.attachments.uploaded_by("member", member)
    for attachment in files:
        await storage.delete(attachment.storage_key)
        await uow.attachments.remove(attachment.id)
    if files:
        logger.info("deleted account's attachments removed", count=len(files))


async def contact_changed(event: MemberContactChanged, uow: MessagesUnitOfWork) -> None:
    """The contact topic's other records (an address given or changed): nothing to do here;
    only its tombstones concern attachments."""


async def _chunks(storage: ObjectStorage, key: str) -> AsyncIterator[bytes]:
    async for chunk in storage.stream(key):
        yield chunk
