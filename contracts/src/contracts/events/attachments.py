"""Events of the messages service's attachments. They never carry a file's name nor its
content: identifiers, the checked media type, the size and the antivirus verdict."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Event
from contracts.funds import FundCode


class AttachmentUploaded(Event):
    """A member or an agent uploaded a file: it waits for the antivirus before anyone may
    download it."""

    attachment_id: uuid.UUID = Field(description="The file (also the Kafka key).")
    fund: FundCode
    uploader_kind: Literal["member", "agent"] = Field(
        description="Who uploaded it.", examples=["member"]
    )
    media_type: str = Field(
        description="Type decided from the content (PDF, JPEG or PNG).",
        examples=["application/pdf"],
    )
    size: int = Field(ge=1, description="Size in bytes of the stored file.", examples=[482133])
    uploaded_at: AwareDatetime = Field(description="When it was uploaded (UTC).")


class AttachmentScanned(Event):
    """The antivirus looked at a file: clean (downloadable) or infected (quarantined, never
    served)."""

    attachment_id: uuid.UUID = Field(description="The file (also the Kafka key).")
    fund: FundCode
    thread_id: uuid.UUID | None = Field(
        default=None, description="The thread it was sent in, if it was sent already."
    )
    verdict: Literal["clean", "infected"] = Field(
        description="What the antivirus found.", examples=["clean"]
    )
    scanned_at: AwareDatetime = Field(description="When the scan finished (UTC).")
