"""Attachments, for members (``/attachments``) and agents (``/agent/attachments``): upload a
file (the request's body is the file, streamed; its name in ``?name=``), look at it, download
it once the antivirus found it clean, withdraw it before it is sent; the files of a thread.

A file is sent by naming its id in ``attachment_ids`` when sending the message or reply.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from messages.domain.attachments import MAX_FILE_BYTES, Attachment, too_large
from messages.domain.attachments_commands import (
    Caller,
    DeleteAttachment,
    DownloadAttachment,
    GetAttachment,
    ListThreadAttachments,
    UploadAttachment,
)
from messages.entrypoints.http.deps import AgentDep, BusDep, MemberDep
from messages.entrypoints.http.schemas.attachments import (
    AttachmentLimits,
    AttachmentPublic,
    AttachmentsPublic,
)
from servicekit.bus import MessageBus
from servicekit.guard import BINARY_UPLOAD
from servicekit.problems import problem_responses

router = APIRouter()

#: The upload's body: the file's bytes as they are (any Content-Type; the type is decided from
#: the content).
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file itself (PDF, JPEG, PNG or HEIC; 10 MB at most).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    BINARY_UPLOAD: True,
}
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as a download (``Content-Disposition: attachment``).",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in ("application/pdf", "image/jpeg", "image/png")
        },
    }
}
FileName = Annotated[
    str,
    Query(
        alias="name",
        min_length=1,
        max_length=255,
        description="The file's name on the caller's device (kept for display only).",
    ),
]


async def _body(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        if chunk:
            yield chunk


async def _upload(request: Request, caller: Caller, name: str, bus: MessageBus) -> Attachment:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        raise too_large()  # said before a byte is read
    return await bus.handle(
        UploadAttachment(uploader=caller, file_name=name, chunks=_body(request))
    )


def content_disposition(name: str) -> str:
    """``attachment``, with an ASCII fallback name and the real one (RFC 6266 / 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _download(caller: Caller, attachment_id: uuid.UUID, bus: MessageBus) -> Response:
    download = await bus.handle(DownloadAttachment(caller=caller, attachment_id=attachment_id))
    file = download.attachment
    return StreamingResponse(
        download.chunks,
        media_type=file.media_type,
        headers={
            "Content-Disposition": content_disposition(file.name),
            "Content-Length": str(file.size),
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


UPLOAD_ERRORS = problem_responses(401, 403, 413, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 409, 422)


@router.get(
    "/attachments/limits",
    tags=["member", "agent"],
    summary="What files may be joined: types, sizes, how many (said before choosing)",
    response_model=AttachmentLimits,
)
async def attachment_limits() -> AttachmentLimits:
    return AttachmentLimits()


# --- members ---------------------------------------------------------------------------------


@router.post(
    "/attachments",
    status_code=201,
    tags=["member"],
    summary="Upload a file to send with a message (scanned before anyone may download it)",
    response_model=AttachmentPublic,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def upload_member_attachment(
    request: Request, member: MemberDep, bus: BusDep, name: FileName
) -> Attachment:
    return await _upload(request, member, name, bus)


@router.get(
    "/attachments/{attachment_id}",
    tags=["member"],
    summary="One of the member's files: name, size, scan state",
    response_model=AttachmentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_member_attachment(
    attachment_id: uuid.UUID, member: MemberDep, bus: BusDep
) -> Attachment:
    return await bus.handle(GetAttachment(caller=member, attachment_id=attachment_id))


@router.get(
    "/attachments/{attachment_id}/content",
    tags=["member"],
    summary="Download one of the member's files (once found clean)",
    response_class=StreamingResponse,
    responses=FILE_RESPONSE | READ_ERRORS,
)
async def download_member_attachment(
    attachment_id: uuid.UUID, member: MemberDep, bus: BusDep
) -> Response:
    return await _download(member, attachment_id, bus)


@router.delete(
    "/attachments/{attachment_id}",
    status_code=204,
    tags=["member"],
    summary="Withdraw a file before the message is sent",
    response_class=Response,
    responses=READ_ERRORS,
)
async def delete_member_attachment(
    attachment_id: uuid.UUID, member: MemberDep, bus: BusDep
) -> Response:
    await bus.handle(DeleteAttachment(caller=member, attachment_id=attachment_id))
    return Response(status_code=204)


@router.get(
    "/threads/{thread_id}/attachments",
    tags=["member"],
    summary="The files sent in one of the member's threads, message by message",
    response_model=AttachmentsPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_member_thread_attachments(
    thread_id: uuid.UUID, member: MemberDep, bus: BusDep
) -> AttachmentsPublic:
    files = await bus.handle(ListThreadAttachments(caller=member, thread_id=thread_id))
    return AttachmentsPublic.model_validate(
        {"data": [AttachmentPublic.model_validate(f) for f in files]}
    )


# --- agents ----------------------------------------------------------------------------------


@router.post(
    "/agent/attachments",
    status_code=201,
    tags=["agent"],
    summary="Upload a file to send with a reply (same rules as members')",
    response_model=AttachmentPublic,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def upload_agent_attachment(
    request: Request, agent: AgentDep, bus: BusDep, name: FileName
) -> Attachment:
    return await _upload(request, agent, name, bus)


@router.get(
    "/agent/attachments/{attachment_id}",
    tags=["agent"],
    summary="A file of the fund's threads (or the agent's own upload): name, size, scan state",
    response_model=AttachmentPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_agent_attachment(
    attachment_id: uuid.UUID, agent: AgentDep, bus: BusDep
) -> Attachment:
    return await bus.handle(GetAttachment(caller=agent, attachment_id=attachment_id))


@router.get(
    "/agent/attachments/{attachment_id}/content",
    tags=["agent"],
    summary="Download a file of the fund's threads (once found clean)",
    response_class=StreamingResponse,
    responses=FILE_RESPONSE | READ_ERRORS,
)
async def download_agent_attachment(
    attachment_id: uuid.UUID, agent: AgentDep, bus: BusDep
) -> Response:
    return await _download(agent, attachment_id, bus)


@router.delete(
    "/agent/attachments/{attachment_id}",
    status_code=204,
    tags=["agent"],
    summary="Withdraw a file before the reply is sent",
    response_class=Response,
    responses=READ_ERRORS,
)
async def delete_agent_attachment(
    attachment_id: uuid.UUID, agent: AgentDep, bus: BusDep
) -> Response:
    await bus.handle(DeleteAttachment(caller=agent, attachment_id=attachment_id))
    return Response(status_code=204)


@router.get(
    "/agent/threads/{thread_id}/attachments",
    tags=["agent"],
    summary="The files sent in one of the fund's threads, message by message, with scan state",
    response_model=AttachmentsPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_agent_thread_attachments(
    thread_id: uuid.UUID, agent: AgentDep, bus: BusDep
) -> AttachmentsPublic:
    files = await bus.handle(ListThreadAttachments(caller=agent, thread_id=thread_id))
    return AttachmentsPublic.model_validate(
        {"data": [AttachmentPublic.model_validate(f) for f in files]}
    )
