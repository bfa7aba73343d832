"""Attachments' moving parts: the object storage client, the antivirus consumer of
``messages.attachment-uploaded.v1`` (group ``messages.attachment-scanner``), the consumer of
the contact topic's tombstones that removes a deleted account's files (group
``messages.attachments-account-deletion``) and the worker that removes expired uploads.

The consumer is idempotent like every other (``servicekit.consumer``): the verdict, the
``AttachmentScanned`` event and the event's id commit together; clamd or the storage away
fails the event, which is retried with backoff, then dead-lettered on
``messages.dead-letter.v1`` (the file then stays « en cours d'analyse », never served).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from contracts.topics import ATTACHMENT_UPLOADED, MEMBER_CONTACT, MESSAGES_DEAD_LETTER
from messages.adapters.object_storage import ObjectStorage
from messages.adapters.scanner import Clamd
from messages.config import Settings
from messages.domain.attachments import UNATTACHED_LIFETIME_HOURS
from messages.domain.attachments_commands import PurgeExpiredAttachments
from messages.service_layer.handlers.attachments import (
    contact_changed,
    forget_member_attachments,
    scan_uploaded_attachment,
)
from messages.service_layer.unit_of_work import UnitOfWorkFactory
from servicekit.bus import MessageBus
from servicekit.clock import Clock
from servicekit.runtime import ServiceRuntime
from servicekit.worker import WorkLoop


class AttachmentParts:
    def __init__(
        self,
        runtime: ServiceRuntime,
        settings: Settings,
        unit_of_work: UnitOfWorkFactory,
        clock: Clock,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.storage = ObjectStorage(
            endpoint=settings.object_storage_endpoint,
            bucket=settings.object_storage_bucket,
            region=settings.object_storage_region,
            access_key=settings.object_storage_access_key,
            secret_key=settings.object_storage_secret_key.get_secret_value(),
        )
        self.scanner = Clamd(settings.clamd_address)
        runtime.add_consumer(
            "attachment-scanner",
            ATTACHMENT_UPLOADED,
            partial(
                scan_uploaded_attachment, storage=self.storage, scanner=self.scanner, clock=clock
            ),
            unit_of_work=unit_of_work,
            dead_letter_topic=MESSAGES_DEAD_LETTER,
            description="Scans each uploaded file with clamd; quarantines the infected ones.",
        )
        runtime.add_consumer(
            "attachments-account-deletion",
            MEMBER_CONTACT,
            contact_changed,
            unit_of_work=unit_of_work,
            dead_letter_topic=MESSAGES_DEAD_LETTER,
            on_tombstone=partial(forget_member_attachments, storage=self.storage),
            auto_offset_reset="earliest",
            description="A deleted account (a tombstone): the files the member uploaded go.",
        )

    def start_cleanup(self, bus: MessageBus) -> None:
        """Uploads never sent within 24 hours, and files of deleted threads, are removed."""
        purge = PurgeExpiredAttachments(timedelta(hours=UNATTACHED_LIFETIME_HOURS))

        async def more_due(removed: int) -> bool:
            return removed >= purge.batch_size

        cleanup: WorkLoop[int] = WorkLoop(
            name="attachments-cleanup",
            claim=partial(bus.handle, purge),
            process=more_due,
            listen_dsn=None,
            channel="attachments_cleanup",
            poll_interval=self.settings.attachments_cleanup_poll_seconds,
            failure_message="attachments cleanup failed",
        )
        self.runtime.add_background("attachments-cleanup", cleanup.run)
