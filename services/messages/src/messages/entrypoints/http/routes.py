"""HTTP routes of the messages service: the member's side, then the agents' side.

The gateway serves them under ``/api/messages``; they are declared without that prefix.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from messages.domain import calendar, references, routing
from messages.domain.commands import (
    AddNote,
    Agent,
    AssignThread,
    ClaimThread,
    CloseThread,
    ListMemberThreads,
    PostReply,
    PrepareMessage,
    QueueFilter,
    ReopenThread,
    SaveCannedReply,
    SubmitFollowUp,
    SubmitMessage,
)
from messages.domain.model import OPEN_STATUSES, Status
from messages.entrypoints.http import schemas
from messages.entrypoints.http.deps import (
    AgentDep,
    CatalogDep,
    ClockDep,
    IdempotencyKeyDep,
    MemberDep,
    SupervisorDep,
    UnitOfWorkDep,
    idempotency,
    plain_query,
)
from messages.service_layer import handlers
from servicekit.problems import problem_responses

member_router = APIRouter(tags=["member"])
agent_router = APIRouter(prefix="/agent", tags=["agent"])

Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="``next_cursor`` of the previous page."),
]
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


def _outcome(outcome: handlers.Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


# Member side -------------------------------------------------------------------------------


@member_router.post(
    "/messages/prepare",
    summary="Check a message before sending it (step 5 « Valider »): recap, online service, advisories",
    response_model=schemas.MessagePrepared,
    responses=problem_responses(401, 403, 422, 503),
)
async def prepare_message(
    draft: schemas.MessageDraft, member: MemberDep, catalog: CatalogDep
) -> dict[str, Any]:
    preparation = handlers.prepare_message(
        PrepareMessage(
            member=member,
            theme=draft.theme,
            subject=draft.subject,
            motif=draft.motif,
            text=draft.text,
        ),
        catalog=await catalog.current(),
    )
    return preparation.body


@member_router.post(
    "/threads",
    status_code=201,
    summary="Send a new message (step 6 « Envoyer »): a new thread",
    response_model=schemas.ThreadCreated,
    responses=problem_responses(400, 401, 403, 409, 422, 428, 503),
)
async def create_thread(
    request: Request,
    thread_in: schemas.ThreadCreate,
    member: MemberDep,
    key: IdempotencyKeyDep,
    uow: UnitOfWorkDep,
    catalog: CatalogDep,
    clock: ClockDep,
) -> JSONResponse:
    outcome = await handlers.submit_message(
        SubmitMessage(
            member=member,
            theme=thread_in.theme,
            subject=thread_in.subject,
            motif=thread_in.motif,
            text=thread_in.text,
            idempotency=idempotency(request, key, thread_in.model_dump(mode="json")),
        ),
        uow=uow,
        catalog=await catalog.current(),
        clock=clock,
    )
    return _outcome(outcome)


@member_router.get(
    "/threads",
    summary="The member's threads, newest activity first",
    response_model=schemas.ThreadsPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_threads(
    member: MemberDep,
    uow: UnitOfWorkDep,
    status: Status | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Words of the reference, labels or texts."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> dict[str, Any]:
    page = await handlers.list_member_threads(
        ListMemberThreads(
            member=member,
            status=status,
            query=plain_query(q, field="q"),
            cursor=cursor,
            limit=limit,
        ),
        uow=uow,
    )
    return {"data": page.data, "next_cursor": page.next_cursor}


@member_router.get(
    "/threads/{thread_id}",
    summary="One of the member's threads, its messages and replies (replies become read)",
    response_model=schemas.ThreadDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_thread(
    thread_id: uuid.UUID, member: MemberDep, uow: UnitOfWorkDep, clock: ClockDep
) -> dict[str, Any]:
    return await handlers.open_member_thread(member, thread_id, uow=uow, clock=clock)


@member_router.post(
    "/threads/{thread_id}/messages",
    status_code=201,
    summary="Write again in one's thread (a follow-up); an answered thread waits for the fund again",
    response_model=schemas.ThreadCreated,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 428),
)
async def create_follow_up(
    request: Request,
    thread_id: uuid.UUID,
    message_in: schemas.FollowUpCreate,
    member: MemberDep,
    key: IdempotencyKeyDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> JSONResponse:
    outcome = await handlers.submit_follow_up(
        SubmitFollowUp(
            member=member,
            thread_id=thread_id,
            text=message_in.text,
            idempotency=idempotency(request, key, message_in.model_dump(mode="json")),
        ),
        uow=uow,
        clock=clock,
    )
    return _outcome(outcome)


# Agent side --------------------------------------------------------------------------------

QueueStatus = Literal["open", "submitted", "in_progress", "answered", "closed", "all"]


def _queue(
    agent: Agent,
    *,
    status: QueueStatus,
    theme: str | None,
    subject: str | None,
    motif: str | None,
    skill: str | None,
    assigned: str,
    overdue: bool,
    clock: ClockDep,
    reference: str | None = None,
) -> QueueFilter:
    statuses: tuple[Status, ...]
    if status == "open":
        statuses = OPEN_STATUSES
    elif status == "all":
        statuses = ()
    else:
        statuses = (Status(status),)
    skill = plain_query(skill, field="skill")
    skills: tuple[str, ...] | None = None
    if skill == routing.MINE:
        skills = agent.skills
    elif skill and skill != routing.WITHOUT_SKILL:
        skills = (skill,)
    reference = plain_query(reference, field="reference")
    return QueueFilter(
        fund=agent.fund,
        statuses=statuses,
        theme=plain_query(theme, field="theme"),
        subject=plain_query(subject, field="subject"),
        motif=plain_query(motif, field="motif"),
        assignee_id=agent.id if assigned == "me" else None,
        unassigned=assigned == "unassigned",
        overdue_on=calendar.paris_date(clock()) if overdue else None,
        skills=skills,
        or_assigned_to=agent.id if skill == routing.MINE else None,
        without_skill=skill == routing.WITHOUT_SKILL,
        reference=(
            references.typed_reference(
                reference, fund=agent.fund, year=calendar.paris_date(clock()).year
            )
            if reference and reference.strip()
            else None
        ),
    )


@agent_router.get(
    "/threads",
    summary="The queue: threads of the agent's fund, by due date; or the thread of a reference",
    response_model=schemas.AgentThreadsPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def list_queue(
    agent: AgentDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
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
    assigned: Literal["me", "unassigned", "any"] = "any",
    overdue: Annotated[bool, Query(description="Only threads past their due date")] = False,
    reference: ReferenceFilter = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> dict[str, Any]:
    searching = bool(reference and reference.strip())
    queue = _queue(
        agent,
        status=status or ("all" if searching else "open"),
        theme=theme,
        subject=subject,
        motif=motif,
        skill=skill,
        assigned=assigned,
        overdue=overdue,
        clock=clock,
        reference=reference,
    )
    page = await handlers.list_queue(queue, cursor=cursor, limit=limit, uow=uow)
    hint = routing.NO_SKILLS_HINT if skill == routing.MINE and not agent.skills else None
    return {"data": page.data, "next_cursor": page.next_cursor, "hint": hint}


@agent_router.get(
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
    uow: UnitOfWorkDep,
    clock: ClockDep,
    theme: CodeFilter = None,
    subject: CodeFilter = None,
    motif: CodeFilter = None,
    skill: SkillFilter = None,
) -> dict[str, int]:
    queue = _queue(
        agent,
        status="all",
        theme=theme,
        subject=subject,
        motif=motif,
        skill=skill,
        assigned="any",
        overdue=False,
        clock=clock,
    )
    return await handlers.queue_counts(
        queue, agent=agent, uow=uow, today=calendar.paris_date(clock())
    )


@agent_router.get(
    "/threads/{thread_id}",
    summary="One thread of the fund, with messages, replies and notes (the opening is audited)",
    response_model=schemas.AgentThreadDetail,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_agent_thread(
    thread_id: uuid.UUID, agent: AgentDep, uow: UnitOfWorkDep, clock: ClockDep
) -> dict[str, Any]:
    return await handlers.open_agent_thread(agent, thread_id, uow=uow, clock=clock)


@agent_router.post(
    "/threads/{thread_id}/claim",
    summary=(
        "Take the thread, within one's skills or not (``warnings`` says when not); 409 (with "
        "who has it) if another agent already has it"
    ),
    response_model=schemas.AgentThreadChanged,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def claim_thread(
    thread_id: uuid.UUID,
    agent: AgentDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    catalog: CatalogDep,
) -> dict[str, Any]:
    return await handlers.claim_thread(
        ClaimThread(agent=agent, thread_id=thread_id),
        uow=uow,
        clock=clock,
        skill_label=catalog.skill_label,
    )


@agent_router.post(
    "/threads/{thread_id}/assign",
    summary=(
        "Give the thread to an agent (supervisors), whatever their skills: ``warnings`` says "
        "when they do not include the thread's"
    ),
    response_model=schemas.AgentThreadChanged,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def assign_thread(
    thread_id: uuid.UUID,
    assignment: schemas.AssignmentCreate,
    supervisor: SupervisorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
    catalog: CatalogDep,
) -> dict[str, Any]:
    return await handlers.assign_thread(
        AssignThread(
            supervisor=supervisor,
            thread_id=thread_id,
            assignee_id=assignment.agent_id,
            assignee_name=assignment.agent_name,
            assignee_skills=(
                routing.normalised_skills(assignment.agent_skills)
                if assignment.agent_skills is not None
                else None
            ),
        ),
        uow=uow,
        clock=clock,
        skill_label=catalog.skill_label,
    )


@agent_router.post(
    "/threads/{thread_id}/replies",
    status_code=201,
    summary="Answer the member (text, or a canned reply); the thread becomes « répondu »",
    response_model=schemas.ReplyCreated,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 428),
)
async def create_reply(
    request: Request,
    thread_id: uuid.UUID,
    reply_in: schemas.ReplyCreate,
    agent: AgentDep,
    key: IdempotencyKeyDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> JSONResponse:
    outcome = await handlers.post_reply(
        PostReply(
            agent=agent,
            thread_id=thread_id,
            text=reply_in.text,
            canned_reply_id=reply_in.canned_reply_id,
            idempotency=idempotency(request, key, reply_in.model_dump(mode="json")),
        ),
        uow=uow,
        clock=clock,
    )
    return _outcome(outcome)


@agent_router.post(
    "/threads/{thread_id}/notes",
    status_code=201,
    summary="Add an internal note (never shown to the member)",
    response_model=schemas.NotePublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_note(
    thread_id: uuid.UUID,
    note_in: schemas.NoteCreate,
    agent: AgentDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> dict[str, Any]:
    return await handlers.add_note(
        AddNote(agent=agent, thread_id=thread_id, text=note_in.text), uow=uow, clock=clock
    )


@agent_router.post(
    "/threads/{thread_id}/close",
    summary="Close the thread",
    response_model=schemas.AgentThreadPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def close_thread(
    thread_id: uuid.UUID, agent: AgentDep, uow: UnitOfWorkDep, clock: ClockDep
) -> dict[str, Any]:
    return await handlers.close_thread(
        CloseThread(agent=agent, thread_id=thread_id), uow=uow, clock=clock
    )


@agent_router.post(
    "/threads/{thread_id}/reopen",
    summary="Reopen a closed thread",
    response_model=schemas.AgentThreadPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reopen_thread(
    thread_id: uuid.UUID, agent: AgentDep, uow: UnitOfWorkDep, clock: ClockDep
) -> dict[str, Any]:
    return await handlers.reopen_thread(
        ReopenThread(agent=agent, thread_id=thread_id), uow=uow, clock=clock
    )


@agent_router.get(
    "/threads/{thread_id}/audit",
    summary="Who opened this thread, newest first (supervisors)",
    response_model=schemas.AccessesPublic,
    responses=problem_responses(400, 401, 403, 404, 422),
)
async def thread_audit(
    thread_id: uuid.UUID,
    supervisor: SupervisorDep,
    uow: UnitOfWorkDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await handlers.thread_access(
        supervisor, thread_id=thread_id, agent_id=None, cursor=cursor, limit=limit, uow=uow
    )
    return {"data": page.data, "next_cursor": page.next_cursor}


@agent_router.get(
    "/audit",
    summary="Threads of the fund opened by agents, newest first, optionally by one agent (supervisors)",
    response_model=schemas.AccessesPublic,
    responses=problem_responses(400, 401, 403, 422),
)
async def fund_audit(
    supervisor: SupervisorDep,
    uow: UnitOfWorkDep,
    agent_id: uuid.UUID | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    page = await handlers.thread_access(
        supervisor, thread_id=None, agent_id=agent_id, cursor=cursor, limit=limit, uow=uow
    )
    return {"data": page.data, "next_cursor": page.next_cursor}


@agent_router.get(
    "/threads/{thread_id}/canned-replies/{canned_reply_id}",
    summary="A canned reply filled in with this thread's values, to review before sending",
    response_model=schemas.CannedReplyRendered,
    responses=problem_responses(401, 403, 404, 422),
)
async def render_canned_reply(
    thread_id: uuid.UUID, canned_reply_id: uuid.UUID, agent: AgentDep, uow: UnitOfWorkDep
) -> dict[str, Any]:
    return await handlers.render_canned_reply_for(agent, thread_id, canned_reply_id, uow=uow)


@agent_router.get(
    "/canned-replies",
    summary="The fund's canned replies",
    response_model=schemas.CannedRepliesPublic,
    responses=problem_responses(401, 403),
)
async def list_canned_replies(agent: AgentDep, uow: UnitOfWorkDep) -> dict[str, Any]:
    return {"data": await handlers.list_canned_replies(agent, uow=uow)}


@agent_router.post(
    "/canned-replies",
    status_code=201,
    summary="Add a canned reply to the fund's (supervisors)",
    response_model=schemas.CannedReplyPublic,
    responses=problem_responses(401, 403, 422),
)
async def create_canned_reply(
    canned_in: schemas.CannedReplyCreate,
    supervisor: SupervisorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> dict[str, Any]:
    return await handlers.save_canned_reply(
        SaveCannedReply(supervisor=supervisor, title=canned_in.title, body=canned_in.body),
        uow=uow,
        clock=clock,
    )


@agent_router.put(
    "/canned-replies/{canned_reply_id}",
    summary="Change a canned reply (supervisors)",
    response_model=schemas.CannedReplyPublic,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_canned_reply(
    canned_reply_id: uuid.UUID,
    canned_in: schemas.CannedReplyUpdate,
    supervisor: SupervisorDep,
    uow: UnitOfWorkDep,
    clock: ClockDep,
) -> dict[str, Any]:
    return await handlers.save_canned_reply(
        SaveCannedReply(
            supervisor=supervisor,
            title=canned_in.title,
            body=canned_in.body,
            canned_reply_id=canned_reply_id,
        ),
        uow=uow,
        clock=clock,
    )


@agent_router.delete(
    "/canned-replies/{canned_reply_id}",
    status_code=204,
    summary="Remove a canned reply (supervisors)",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_canned_reply(
    canned_reply_id: uuid.UUID, supervisor: SupervisorDep, uow: UnitOfWorkDep
) -> Response:
    await handlers.delete_canned_reply(supervisor, canned_reply_id, uow=uow)
    return Response(status_code=204)


router = APIRouter()
router.include_router(member_router)
router.include_router(agent_router)
