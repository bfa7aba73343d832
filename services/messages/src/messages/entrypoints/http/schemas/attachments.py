"""Attachments in requests and answers. A file's name is returned as kept (the web apps
show it escaped, as text); its content never appears in JSON."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from messages.domain.attachments import (
    LIMITS_FR,
    MAX_FILE_BYTES,
    MAX_FILES_PER_MESSAGE,
    MAX_MESSAGE_BYTES,
)
from messages.entrypoints.http.schemas.common import Public

#: The uploads to send with a message or a reply, in order (at most 5: checked with a
#: French answer when sending).
AttachmentIds = Annotated[
    list[uuid.UUID],
    Field(
        default_factory=list,
        max_length=50,
        description=(
            "Files uploaded with `POST /attachments` (members) or `POST /agent/attachments` "
            "(agents) to send with it, in order: at most 5 and 20 MB together."
        ),
    ),
]


class AttachmentPublic(Public):
    id: uuid.UUID
    name: str = Field(description="The file's name as kept (show it escaped).")
    media_type: Literal["application/pdf", "image/jpeg", "image/png"] = Field(
        description="The type decided from the content (a HEIC photo is stored as JPEG)."
    )
    size: int = Field(description="Size in bytes of the stored file.")
    scan_status: Literal["pending", "clean", "infected"] = Field(
        description=(
            "The antivirus: `pending` while it is scanned, `clean` (downloadable), "
            "`infected` (quarantined, never served)."
        )
    )
    uploader_kind: Literal["member", "agent"]
    message_id: uuid.UUID | None = Field(
        description="The message or reply it was sent with; null while not sent."
    )
    created_at: datetime


class AttachmentsPublic(Public):
    data: list[AttachmentPublic]


class AttachmentLimits(Public):
    """What the web apps state before a file is chosen."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_files: int = MAX_FILES_PER_MESSAGE
    max_message_bytes: int = MAX_MESSAGE_BYTES
    accepted_types: list[str] = Field(
        default_factory=lambda: ["application/pdf", "image/jpeg", "image/png", "image/heic"]
    )
    text: str = LIMITS_FR
