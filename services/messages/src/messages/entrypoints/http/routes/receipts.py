"""The proof of deposit: the member downloads the PDF of one of their messages; anyone
checks one (no login: the page « Vérifier un accusé de dépôt »)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from messages.domain.commands import DownloadReceipt, VerifyReceipt
from messages.domain.views import ReceiptCheck
from messages.entrypoints.http import schemas
from messages.entrypoints.http.deps import BusDep, MemberDep
from servicekit.problems import problem_responses
from servicekit.throttling import client_address

router = APIRouter()

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The proof of deposit (« accusé de dépôt »), a PDF.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/threads/{thread_id}/messages/{message_id}/receipt",
    tags=["member", "receipts"],
    summary="The proof of deposit (PDF) of one of the member's messages",
    response_class=Response,
    responses=PDF_RESPONSE | problem_responses(401, 403, 404, 422),
)
async def download_receipt(
    thread_id: uuid.UUID, message_id: uuid.UUID, member: MemberDep, bus: BusDep
) -> Response:
    document = await bus.handle(
        DownloadReceipt(member=member, thread_id=thread_id, message_id=message_id)
    )
    # A file, not JSON: its bytes, as a download that no cache keeps.
    return Response(
        document.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/receipts/verify",
    tags=["receipts"],
    summary="Check a proof of deposit: does this fingerprint (or PDF) match what the fund received?",
    description=(
        "No login. Answers only ``matches``: an unknown reference and a wrong fingerprint get "
        "the same answer. Checks are limited per client address: past a few, each must wait "
        "longer, then the address waits a while (429 ``too-many-checks`` with ``Retry-After``)."
    ),
    response_model=schemas.ReceiptVerification,
    responses=problem_responses(422, 429),
)
async def verify_receipt(
    check: schemas.ReceiptVerify, request: Request, bus: BusDep
) -> ReceiptCheck:
    address = client_address(request, request.app.state.settings.trusted_proxies)
    return await bus.handle(
        VerifyReceipt(
            reference=check.reference,
            sha256=check.sha256,
            pdf=check.pdf_bytes(),
            client_address=address,
        )
    )
