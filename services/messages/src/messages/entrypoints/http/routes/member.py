"""The member's side: prepare and send a message, list and read one's threads, write again."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from messages.domain.commands import (
    ListMemberThreads,
    OpenMemberThread,
    PrepareMessage,
    SubmitFollowUp,
    SubmitMessage,
)
from messages.domain.model import Status
from messages.domain.views import MemberThreadView, Preparation, ThreadsPage
from messages.entrypoints.http import schemas
from messages.entrypoints.http.deps import (
    BusDep,
    Cursor,
    IdempotencyKeyDep,
    Limit,
    MemberDep,
    idempotency,
    idempotent_answer,
    plain_query,
)
from servicekit.problems import problem_responses

router = APIRouter(tags=["member"])


@router.post(
    "/messages/prepare",
    summary="Check a message before sending it (step 5 « Valider »): recap, online service, advisories",
    response_model=schemas.MessagePrepared,
    responses=problem_responses(401, 403, 422, 503),
)
async def prepare_message(
    draft: schemas.MessageDraft, member: MemberDep, bus: BusDep
) -> Preparation:
    return await bus.handle(
        PrepareMessage(
            member=member,
            theme=draft.theme,
            subject=draft.subject,
            motif=draft.motif,
            text=draft.text,
        )
    )


@router.post(
    "/threads",
    status_code=201,
    summary="Send a new message (step 6 « Envoyer »): a new thread",
    response_model=schemas.ThreadCreated,
    responses=problem_responses(400, 401, 403, 409, 422, 428, 503),
)
async def create_thread(
    request: Request,
    response: Response,
    thread_in: schemas.ThreadCreate,
    member: MemberDep,
    key: IdempotencyKeyDep,
    bus: BusDep,
) -> Mapping[str, Any]:
    sent = await bus.handle(
        SubmitMessage(
            member=member,
            theme=thread_in.theme,
            subject=thread_in.subject,
            motif=thread_in.motif,
            text=thread_in.text,
            attachment_ids=tuple(thread_in.attachment_ids),
            idempotency=idempotency(request, key, thread_in.model_dump(mode="json")),
        )
    )
    return idempotent_answer(sent, response)


@router.get(
    "/threads",
    summary="The member's threads, newest activity first",
    response_model=schemas.ThreadsPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_threads(
    member: MemberDep,
    bus: BusDep,
    status: Status | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words of the reference, labels or texts."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> ThreadsPage:
    return await bus.handle(
        ListMemberThreads(
            member=member,
            status=status,
            query=plain_query(q, field="q"),
            cursor=cursor,
            limit=limit,
        )
    )


@router.get(
    "/threads/{thread_id}",
    summary="One of the member's threads, its messages and replies (replies become read)",
    response_model=schemas.ThreadDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_thread(thread_id: uuid.UUID, member: MemberDep, bus: BusDep) -> MemberThreadView:
    return await bus.handle(OpenMemberThread(member=member, thread_id=thread_id))


@router.post(
    "/threads/{thread_id}/messages",
    status_code=201,
    summary="Write again in one's thread (a follow-up); an answered thread waits for the fund again",
    response_model=schemas.ThreadCreated,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 428),
)
async def create_follow_up(
    request: Request,
    response: Response,
    thread_id: uuid.UUID,
    message_in: schemas.FollowUpCreate,
    member: MemberDep,
    key: IdempotencyKeyDep,
    bus: BusDep,
) -> Mapping[str, Any]:
    sent = await bus.handle(
        SubmitFollowUp(
            member=member,
            thread_id=thread_id,
            text=message_in.text,
            attachment_ids=tuple(message_in.attachment_ids),
            idempotency=idempotency(request, key, message_in.model_dump(mode="json")),
        )
    )
    return idempotent_answer(sent, response)
