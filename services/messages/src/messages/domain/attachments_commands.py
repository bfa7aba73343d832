"""What callers ask about attachments, and what it answers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

from messages.domain.attachments import Attachment
from messages.domain.commands import Agent, Member
from servicekit.bus import Command

#: Who asks: a member (their own uploads and their threads' files) or an agent (their own
#: uploads and their fund's threads' files).
Caller = Member | Agent


@dataclass(frozen=True)
class UploadAttachment(Command[Attachment]):
    """A file to keep until it is sent with a message or a reply (or for 24 hours)."""

    uploader: Caller
    file_name: str
    chunks: AsyncIterator[bytes] = field(compare=False)


@dataclass(frozen=True)
class GetAttachment(Command[Attachment]):
    caller: Caller
    attachment_id: uuid.UUID


@dataclass(frozen=True)
class Download:
    """A file to send: its row and its bytes, chunk by chunk."""

    attachment: Attachment
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class DownloadAttachment(Command[Download]):
    caller: Caller
    attachment_id: uuid.UUID


@dataclass(frozen=True)
class DeleteAttachment(Command[None]):
    """Withdraw an upload before it is sent."""

    caller: Caller
    attachment_id: uuid.UUID


@dataclass(frozen=True)
class ListThreadAttachments(Command[list[Attachment]]):
    """The files sent in a thread, message by message, in order."""

    caller: Caller
    thread_id: uuid.UUID


@dataclass(frozen=True)
class PurgeExpiredAttachments(Command[int]):
    """Remove uploads never sent within ``unattached_for`` and files whose message is gone,
    with their objects; how many were removed."""

    unattached_for: timedelta
    batch_size: int = 100
