"""The agents' side: the queue and its counts, a thread as the fund sees it, taking, giving,
answering, closing and reopening it, notes, the access audit and the canned replies.

Every route is under ``/agent``; only the threads of the caller's fund exist for it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from messages.domain import references
from messages.domain.commands import (
    AddNote,
    Assigned,
    AssignThread,
    ClaimThread,
    CloseThread,
    CountQueue,
    DeleteCannedReply,
    ListAccesses,
    ListCannedReplies,
    ListQueue,
    OpenAgentThread,
    PostReply,
    QueueStatus,
    RenderCannedReply,
    ReopenThread,
    SaveCannedReply,
)
from messages.domain.model import CannedReply, Note, Thread
from messages.domain.views import (
    AccessPage,
    AgentThreadView,
    CannedReplies,
    QueuePage,
    RenderedCannedReply,
    ThreadChange,
)
from messages.entrypoints.http import schemas
from messages.entrypoints.http.deps import (
    AgentDep,
    BusDep,
    Cursor,
    IdempotencyKeyDep,
    Limit,
    SupervisorDep,
    idempotency,
    idempotent_answer,
    plain_query,
)
from servicekit.problems import problem_responses

router = APIRouter(prefix="/agent", tags=["agent"])

CodeFilter = Annotated[str | None, Query(max_length=100)]
SkillFilter = Annotated[
    str | None,
    Query(
        max_length=100,
        description=(
            "Routing: ``mine`` = the threads of the caller's skills (from their token) and those "
            "assigned to them; ``none`` = threads whose skill is not known; any other value = "
            "that skill. Absent: every skill."
        ),
    ),
]
ReferenceFilter = Annotated[
    str | None,
    Query(
        max_length=references.MAX_LENGTH,
        description=(
            "Only the thread of this reference, among the caller's fund's: exact, case and "
            "surrounding spaces ignored, spaces or dashes between its parts "
            "(``NPC-2026-000123``); ``2026-000123`` = the caller's fund; ``000123`` (or "
            "``123``) = the caller's fund and the current year (Europe/Paris). Another "
            "fund's reference finds nothing. Combines with the other filters; without "
            "``status``, every status. 422 ``invalid-reference`` when it is none of these."
        ),
    ),
]


# The queue ----------------------------------------------------------------------------------


@router.get(
    "/threads",
    summary="The queue: threads of the agent's fund, by due date; or the thread of a reference",
    response_model=schemas.AgentThreadsPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_queue(
    agent: AgentDep,
    bus: BusDep,
    status: Annotated[
        QueueStatus | None,
        Query(
            description=(
                "open (default) = submitted + in_progress; with ``reference``, all by default"
            )
        ),
    ] = None,
    theme: CodeFilter = None,
    subject: CodeFilter = None,
    motif: CodeFilter = None,
    skill: SkillFilter = None,
    assigned: Assigned = "any",
    overdue: Annotated[bool, Query(description="Only threads past their due date")] = False,
    relance: Annotated[
        bool,
        Query(
            description=(
                "Only the « relances » (« Je n'ai pas compris la réponse »). Without it, the "
                "first page starts with them, before the others by due date."
            )
        ),
    ] = False,
    reference: ReferenceFilter = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> QueuePage:
    return await bus.handle(
        ListQueue(
            agent=agent,
            status=status,
            skill=plain_query(skill, field="skill"),
            reference=plain_query(reference, field="reference"),
            theme=plain_query(theme, field="theme"),
            subject=plain_query(subject, field="subject"),
            motif=plain_query(motif, field="motif"),
            assigned=assigned,
            overdue=overdue,
            relance=relance,
            cursor=cursor,
            limit=limit,
        )
    )


@router.get(
    "/threads/counts",
    summary=(
        "How many threads of the fund, by status and among open ones (mine, unassigned, "
        "overdue, routed to my skills, without skill)"
    ),
    response_model=schemas.QueueCounts,
    responses=problem_responses(401, 403, 422),
)
async def queue_counts(
    agent: AgentDep,
    bus: BusDep,
    theme: CodeFilter = None,
    subject: CodeFilter = None,
    motif: CodeFilter = None,
    skill: SkillFilter = None,
) -> dict[str, int]:
    return await bus.handle(
        CountQueue(
            agent=agent,
            skill=plain_query(skill, field="skill"),
            theme=plain_query(theme, field="theme"),
            subject=plain_query(subject, field="subject"),
            motif=plain_query(motif, field="motif"),
        )
    )


# One thread ---------------------------------------------------------------------------------


@router.get(
    "/threads/{thread_id}",
    summary="One thread of the fund, with messages, replies and notes (the opening is audited)",
    response_model=schemas.AgentThreadDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_agent_thread(thread_id: uuid.UUID, agent: AgentDep, bus: BusDep) -> AgentThreadView:
    return await bus.handle(OpenAgentThread(agent=agent, thread_id=thread_id))


@router.post(
    "/threads/{thread_id}/claim",
    summary=(
        "Take the thread, within one's skills or not (``warnings`` says when not); 409 (with "
        "who has it) if another agent already has it"
    ),
    response_model=schemas.AgentThreadChanged,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def claim_thread(thread_id: uuid.UUID, agent: AgentDep, bus: BusDep) -> ThreadChange:
    return await bus.handle(ClaimThread(agent=agent, thread_id=thread_id))


@router.post(
    "/threads/{thread_id}/assign",
    summary=(
        "Give the thread to an agent of the fund (supervisors), whatever their skills: "
        "``warnings`` says when they do not include the thread's; 422 for an agent the "
        "directory of agents does not list as active in the fund"
    ),
    response_model=schemas.AgentThreadChanged,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def assign_thread(
    thread_id: uuid.UUID,
    assignment: schemas.AssignmentCreate,
    supervisor: SupervisorDep,
    bus: BusDep,
) -> ThreadChange:
    return await bus.handle(
        AssignThread(supervisor=supervisor, thread_id=thread_id, assignee_id=assignment.agent_id)
    )


@router.post(
    "/threads/{thread_id}/replies",
    status_code=201,
    summary="Answer the member (text, or a canned reply); the thread becomes « répondu »",
    response_model=schemas.ReplyCreated,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 428),
)
async def create_reply(
    request: Request,
    response: Response,
    thread_id: uuid.UUID,
    reply_in: schemas.ReplyCreate,
    agent: AgentDep,
    key: IdempotencyKeyDep,
    bus: BusDep,
) -> Mapping[str, Any]:
    sent = await bus.handle(
        PostReply(
            agent=agent,
            thread_id=thread_id,
            text=reply_in.text,
            canned_reply_id=reply_in.canned_reply_id,
            attachment_ids=tuple(reply_in.attachment_ids),
            asks_for_details=reply_in.asks_for_details,
            idempotency=idempotency(request, key, reply_in.model_dump(mode="json")),
        )
    )
    return idempotent_answer(sent, response)


@router.post(
    "/threads/{thread_id}/notes",
    status_code=201,
    summary="Add an internal note (never shown to the member)",
    response_model=schemas.NotePublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_note(
    thread_id: uuid.UUID, note_in: schemas.NoteCreate, agent: AgentDep, bus: BusDep
) -> Note:
    return await bus.handle(AddNote(agent=agent, thread_id=thread_id, text=note_in.text))


@router.post(
    "/threads/{thread_id}/close",
    summary="Close the thread",
    response_model=schemas.AgentThreadPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_thread(thread_id: uuid.UUID, agent: AgentDep, bus: BusDep) -> Thread:
    return await bus.handle(CloseThread(agent=agent, thread_id=thread_id))


@router.post(
    "/threads/{thread_id}/reopen",
    summary="Reopen a closed thread",
    response_model=schemas.AgentThreadPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reopen_thread(thread_id: uuid.UUID, agent: AgentDep, bus: BusDep) -> Thread:
    return await bus.handle(ReopenThread(agent=agent, thread_id=thread_id))


# The access audit ---------------------------------------------------------------------------


@router.get(
    "/threads/{thread_id}/audit",
    summary="Who opened this thread, newest first (supervisors)",
    response_model=schemas.AccessesPublic,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def thread_audit(
    thread_id: uuid.UUID,
    supervisor: SupervisorDep,
    bus: BusDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AccessPage:
    return await bus.handle(
        ListAccesses(supervisor=supervisor, thread_id=thread_id, cursor=cursor, limit=limit)
    )


@router.get(
    "/audit",
    summary="Threads of the fund opened by agents, newest first, optionally by one agent (supervisors)",
    response_model=schemas.AccessesPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def fund_audit(
    supervisor: SupervisorDep,
    bus: BusDep,
    agent_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AccessPage:
    return await bus.handle(
        ListAccesses(supervisor=supervisor, agent_id=agent_id, cursor=cursor, limit=limit)
    )


# Canned replies -----------------------------------------------------------------------------


@router.get(
    "/threads/{thread_id}/canned-replies/{canned_reply_id}",
    summary="A canned reply filled in with this thread's values, to review before sending",
    response_model=schemas.CannedReplyRendered,
    responses=problem_responses(401, 403, 404, 422),
)
async def render_canned_reply(
    thread_id: uuid.UUID, canned_reply_id: uuid.UUID, agent: AgentDep, bus: BusDep
) -> RenderedCannedReply:
    return await bus.handle(
        RenderCannedReply(agent=agent, thread_id=thread_id, canned_reply_id=canned_reply_id)
    )


@router.get(
    "/canned-replies",
    summary="The fund's canned replies",
    response_model=schemas.CannedRepliesPublic,
    responses=problem_responses(401, 403),
)
async def list_canned_replies(agent: AgentDep, bus: BusDep) -> CannedReplies:
    return await bus.handle(ListCannedReplies(agent=agent))


@router.post(
    "/canned-replies",
    status_code=201,
    summary="Add a canned reply to the fund's (supervisors)",
    response_model=schemas.CannedReplyPublic,
    responses=problem_responses(401, 403, 422),
)
async def create_canned_reply(
    canned_in: schemas.CannedReplyCreate, supervisor: SupervisorDep, bus: BusDep
) -> CannedReply:
    return await bus.handle(
        SaveCannedReply(supervisor=supervisor, title=canned_in.title, body=canned_in.body)
    )


@router.put(
    "/canned-replies/{canned_reply_id}",
    summary="Change a canned reply (supervisors)",
    response_model=schemas.CannedReplyPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_canned_reply(
    canned_reply_id: uuid.UUID,
    canned_in: schemas.CannedReplyUpdate,
    supervisor: SupervisorDep,
    bus: BusDep,
) -> CannedReply:
    return await bus.handle(
        SaveCannedReply(
            supervisor=supervisor,
            title=canned_in.title,
            body=canned_in.body,
            canned_reply_id=canned_reply_id,
        )
    )


@router.delete(
    "/canned-replies/{canned_reply_id}",
    status_code=204,
    summary="Remove a canned reply (supervisors)",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_canned_reply(
    canned_reply_id: uuid.UUID, supervisor: SupervisorDep, bus: BusDep
) -> None:
    await bus.handle(DeleteCannedReply(supervisor=supervisor, canned_reply_id=canned_reply_id))
