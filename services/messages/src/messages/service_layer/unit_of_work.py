"""The messages service's unit of work: one transaction, its repositories and its outbox."""

from __future__ import annotations

from collections.abc import Callable

from messages.adapters.agents_directory import AgentsDirectoryRepository
from messages.adapters.attachments import AttachmentRepository
from messages.adapters.canned_replies import CannedReplyRepository
from messages.adapters.catalog_snapshot import CatalogSnapshotRepository
from messages.adapters.follow_ups import FollowUpRepository
from messages.adapters.idempotency import IdempotencyKeyRepository
from messages.adapters.orm import RECEIPT_CHECK_THROTTLES
from messages.adapters.retention import RetentionRepository
from messages.adapters.threads import ThreadRepository
from servicekit.db import UnitOfWork
from servicekit.throttling import ThrottleRepository


class MessagesUnitOfWork(UnitOfWork):
    threads: ThreadRepository
    canned_replies: CannedReplyRepository
    idempotency_keys: IdempotencyKeyRepository
    catalog_snapshot: CatalogSnapshotRepository
    retention: RetentionRepository
    attachments: AttachmentRepository
    follow_ups: FollowUpRepository
    receipt_checks: ThrottleRepository
    agents_directory: AgentsDirectoryRepository

    def on_enter(self) -> None:
        self.threads = ThreadRepository(self.session, self.writes)
        self.canned_replies = CannedReplyRepository(self.session)
        self.idempotency_keys = IdempotencyKeyRepository(self.session, self.writes)
        self.catalog_snapshot = CatalogSnapshotRepository(self.session)
        self.retention = RetentionRepository(self.session)
        self.attachments = AttachmentRepository(self.session, self.writes)
        self.follow_ups = FollowUpRepository(self.session)
        self.receipt_checks = ThrottleRepository(self.session, RECEIPT_CHECK_THROTTLES)
        self.agents_directory = AgentsDirectoryRepository(self.session)


#: What handlers take as ``uow``: each call opens a new unit of work.
UnitOfWorkFactory = Callable[[], MessagesUnitOfWork]
