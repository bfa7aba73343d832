"""The agents' side: the queue, a thread as the fund sees it, taking, giving, answering,
closing and reopening threads, internal notes and the access audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from contracts import Event
from messages.domain import follow_ups, references, routing
from messages.domain.commands import (
    AddNote,
    Agent,
    AssignThread,
    ClaimThread,
    CloseThread,
    CountQueue,
    ListAccesses,
    ListQueue,
    OpenAgentThread,
    PostReply,
    QueueFilter,
    QueueStatus,
    RenderCannedReply,
    ReopenThread,
)
from messages.domain.errors import UnknownAgent
from messages.domain.model import OPEN_STATUSES, Message, Note, Status, Thread, render_canned_reply
from messages.domain.text import REPLY_MAX, REPLY_MIN, check_text
from messages.domain.views import (
    AccessPage,
    AgentThreadView,
    PostedReply,
    QueuePage,
    RenderedCannedReply,
    Sent,
    ThreadChange,
)
from messages.entrypoints.http.schemas import ReplyCreated
from messages.service_layer import cursors
from messages.service_layer.catalog import CatalogHolder
from messages.service_layer.handlers.attachments import select_uploads
from messages.service_layer.handlers.common import (
    canned_reply_not_found,
    placeholder_values,
    replay_or_hold,
    reply_posted,
    thread_closed,
    thread_not_found,
    thread_reopened,
)
from messages.service_layer.handlers.follow_ups import details_requested
from messages.service_layer.unit_of_work import UnitOfWorkFactory
from servicekit.clock import Clock, paris_date


def queue_filter(
    agent: Agent,
    now: datetime,
    *,
    status: QueueStatus,
    theme: str | None,
    subject: str | None,
    motif: str | None,
    skill: str | None,
    assigned: str = "any",
    overdue: bool = False,
    reference: str | None = None,
) -> QueueFilter:
    """What the request's filters select among the agent's fund's threads."""
    statuses: tuple[Status, ...]
    if status == "open":
        statuses = OPEN_STATUSES
    elif status == "all":
        statuses = ()
    else:
        statuses = (Status(status),)
    skills: tuple[str, ...] | None = None
    if skill == routing.MINE:
        skills = agent.skills
    elif skill and skill != routing.WITHOUT_SKILL:
        skills = (skill,)
    today = paris_date(now)
    return QueueFilter(
        fund=agent.fund,
        statuses=statuses,
        theme=theme,
        subject=subject,
        motif=motif,
        assignee_id=agent.id if assigned == "me" else None,
        unassigned=assigned == "unassigned",
        overdue_on=today if overdue else None,
        skills=skills,
        or_assigned_to=agent.id if skill == routing.MINE else None,
        without_skill=skill == routing.WITHOUT_SKILL,
        reference=(
            references.typed_reference(reference, fund=agent.fund, year=today.year)
            if reference and reference.strip()
            else None
        ),
    )


async def list_queue(cmd: ListQueue, *, uow: UnitOfWorkFactory, clock: Clock) -> QueuePage:
    """The queue by due date; searching a reference covers every status unless asked."""
    searching = bool(cmd.reference and cmd.reference.strip())
    queue = queue_filter(
        cmd.agent,
        clock.now(),
        status=cmd.status or ("all" if searching else "open"),
        theme=cmd.theme,
        subject=cmd.subject,
        motif=cmd.motif,
        skill=cmd.skill,
        assigned=cmd.assigned,
        overdue=cmd.overdue,
        reference=cmd.reference,
    )
    after = cursors.decode_due(cmd.cursor) if cmd.cursor else None
    # « Relances » come first: on the first page, before the others by due date.
    pinned: list[Thread] = []
    if cmd.relance:
        queue = replace(queue, relance=True)
    elif not searching and (not queue.statuses or set(OPEN_STATUSES) & set(queue.statuses)):
        queue = replace(queue, relance=False)
        if after is None:
            async with uow() as unit:
                pinned = await unit.threads.list_queue(
                    replace(queue, relance=True), after=None, limit=cmd.limit
                )
    async with uow() as unit:
        threads = await unit.threads.list_queue(queue, after=after, limit=cmd.limit + 1)
    more = len(threads) > cmd.limit
    threads = threads[: cmd.limit]
    return QueuePage(
        pinned + threads,
        cursors.encode(threads[-1].due_date, threads[-1].id) if more else None,
        routing.NO_SKILLS_HINT if cmd.skill == routing.MINE and not cmd.agent.skills else None,
    )


async def count_queue(cmd: CountQueue, *, uow: UnitOfWorkFactory, clock: Clock) -> dict[str, int]:
    now = clock.now()
    queue = queue_filter(
        cmd.agent,
        now,
        status="all",
        theme=cmd.theme,
        subject=cmd.subject,
        motif=cmd.motif,
        skill=cmd.skill,
    )
    async with uow() as unit:
        return await unit.threads.queue_counts(
            queue, agent_id=cmd.agent.id, agent_skills=cmd.agent.skills, today=paris_date(now)
        )


async def open_agent_thread(
    cmd: OpenAgentThread, *, uow: UnitOfWorkFactory, clock: Clock
) -> AgentThreadView:
    """The thread as the fund sees it; the opening is recorded in the access audit."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(cmd.thread_id, fund=cmd.agent.fund, for_update=True)
        if thread is None:
            raise thread_not_found()
        now = clock.now()
        thread.consulted_by_fund(now)
        await unit.threads.save_thread(thread)
        await unit.threads.add_access(
            thread=thread, agent_id=cmd.agent.id, agent_name=cmd.agent.name, now=now
        )
        messages = await unit.threads.messages_of(thread.id)
        notes = await unit.threads.notes_of(thread.id)
        satisfactions = await unit.follow_ups.satisfactions_of(thread.id)
        await unit.commit()
    return AgentThreadView(thread, messages, notes, satisfactions)


async def _change_thread(
    agent: Agent,
    thread_id: uuid.UUID,
    change: Callable[[Thread], None],
    uow: UnitOfWorkFactory,
    announce: Callable[[Thread, str], Event] | None = None,
) -> Thread:
    """Apply ``change`` to the fund's thread; ``announce`` gives the event it publishes."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(thread_id, fund=agent.fund, for_update=True)
        if thread is None:
            raise thread_not_found()
        change(thread)
        await unit.threads.save_thread(thread)
        if announce is not None:
            unit.publish(announce(thread, unit.producer))
        await unit.commit()
    return thread


async def claim_thread(
    cmd: ClaimThread, *, uow: UnitOfWorkFactory, clock: Clock, catalog: CatalogHolder
) -> ThreadChange:
    """The agent takes the thread, within their skills or not (``warnings`` says when not)."""
    now = clock.now()
    thread = await _change_thread(
        cmd.agent,
        cmd.thread_id,
        lambda thread: thread.claim(cmd.agent.id, cmd.agent.name, now),
        uow,
    )
    return ThreadChange(
        thread, routing.claim_warnings(thread.skill, cmd.agent.skills, catalog.skill_label)
    )


async def assign_thread(
    cmd: AssignThread, *, uow: UnitOfWorkFactory, clock: Clock, catalog: CatalogHolder
) -> ThreadChange:
    """A supervisor gives the thread to an agent whom the directory of agents
    (``auth.agents.v1``) lists as active in the thread's fund, whatever their skills
    (``warnings`` says when they do not include the thread's). Name and skills come from the
    directory, never from the request."""
    now = clock.now()
    async with uow() as unit:
        thread = await unit.threads.get_thread(
            cmd.thread_id, fund=cmd.supervisor.fund, for_update=True
        )
        if thread is None:
            raise thread_not_found()
        assignee = await unit.agents_directory.get(cmd.assignee_id)
        if assignee is None or not assignee.active or assignee.fund != thread.fund:
            raise UnknownAgent(
                "unknown-agent",
                "Ce conseiller est inconnu, n'est plus actif ou n'appartient pas à votre "
                "caisse : choisissez un conseiller dans la liste.",
            )
        thread.assign(assignee.id, assignee.name, now)
        await unit.threads.save_thread(thread)
        await unit.commit()
    return ThreadChange(
        thread,
        routing.assignment_warnings(
            thread.skill, assignee.name, assignee.skills, catalog.skill_label
        ),
    )


async def close_thread(cmd: CloseThread, *, uow: UnitOfWorkFactory, clock: Clock) -> Thread:
    """The agent closes the thread, answered or not; ThreadClosed is published."""
    now = clock.now()
    return await _change_thread(
        cmd.agent,
        cmd.thread_id,
        lambda thread: thread.close(now),
        uow,
        lambda thread, producer: thread_closed(thread, cmd.agent, producer, now),
    )


async def reopen_thread(cmd: ReopenThread, *, uow: UnitOfWorkFactory, clock: Clock) -> Thread:
    """The agent reopens a closed thread; ThreadReopened is published."""
    now = clock.now()
    return await _change_thread(
        cmd.agent,
        cmd.thread_id,
        lambda thread: thread.reopen(now),
        uow,
        lambda thread, producer: thread_reopened(thread, cmd.agent, producer, now),
    )


async def post_reply(cmd: PostReply, *, uow: UnitOfWorkFactory, clock: Clock) -> Sent:
    """An agent answers, from scratch or from a canned reply; ReplyPosted is published."""
    async with uow() as unit:
        replay = await replay_or_hold(unit, cmd.agent.id, cmd.idempotency)
        if replay is not None:
            return replay
        thread = await unit.threads.get_thread(cmd.thread_id, fund=cmd.agent.fund, for_update=True)
        if thread is None:
            raise thread_not_found()
        if cmd.canned_reply_id is not None:
            canned = await unit.canned_replies.get(cmd.canned_reply_id, cmd.agent.fund)
            if canned is None:
                raise canned_reply_not_found(
                    "Cette réponse type n'existe pas (ou plus) : choisissez-en une autre."
                )
            raw = render_canned_reply(canned.body, placeholder_values(thread, cmd.agent))
        else:
            raw = cmd.text or ""
        checked = check_text(raw, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Votre réponse")
        now = clock.now()
        # Asked again while already waiting for the member: what was left stays left.
        days_left = (
            thread.suspended_working_days
            if thread.suspended_working_days is not None
            else follow_ups.working_days_left(now, thread.due_date)
        )
        thread.reply(cmd.agent.id, cmd.agent.name, now)
        if cmd.asks_for_details:
            thread.ask_for_details(now, days_left)
        reply = Message(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_kind="agent",
            author_id=cmd.agent.id,
            author_name=cmd.agent.name,
            body=checked.text,
            created_at=now,
            canned_reply_id=cmd.canned_reply_id,
            asks_for_details=cmd.asks_for_details,
        )
        files = await select_uploads(unit, cmd.agent.id, cmd.attachment_ids)
        await unit.threads.add_message(reply)
        await unit.attachments.attach(
            cmd.attachment_ids, thread_id=thread.id, message_id=reply.id, at=now
        )
        await unit.threads.save_thread(thread, search_text=checked.text)
        unit.publish(reply_posted(thread, reply, unit.producer, now, files))
        if cmd.asks_for_details:
            unit.publish(details_requested(thread, reply, unit.producer, now))
        body = ReplyCreated.model_validate(PostedReply(thread, reply)).model_dump(mode="json")
        await unit.idempotency_keys.store_response(cmd.agent.id, cmd.idempotency.key, 201, body)
        await unit.commit()
        return Sent(201, body)


async def render_canned_reply_for_thread(
    cmd: RenderCannedReply, *, uow: UnitOfWorkFactory
) -> RenderedCannedReply:
    """A canned reply with this thread's values, for an agent to review before sending."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(cmd.thread_id, fund=cmd.agent.fund)
        if thread is None:
            raise thread_not_found()
        canned = await unit.canned_replies.get(cmd.canned_reply_id, cmd.agent.fund)
    if canned is None:
        raise canned_reply_not_found()
    return RenderedCannedReply(
        canned_reply_id=cmd.canned_reply_id,
        title=canned.title,
        text=render_canned_reply(canned.body, placeholder_values(thread, cmd.agent)),
    )


async def add_note(cmd: AddNote, *, uow: UnitOfWorkFactory, clock: Clock) -> Note:
    """An internal note: for the fund only, never shown to the member, never in an event."""
    checked = check_text(cmd.text, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Votre note")
    async with uow() as unit:
        thread = await unit.threads.get_thread(cmd.thread_id, fund=cmd.agent.fund)
        if thread is None:
            raise thread_not_found()
        note = Note(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_id=cmd.agent.id,
            author_name=cmd.agent.name,
            body=checked.text,
            created_at=clock.now(),
        )
        await unit.threads.add_note(note)
        await unit.commit()
    return note


async def list_accesses(cmd: ListAccesses, *, uow: UnitOfWorkFactory) -> AccessPage:
    """Who opened the fund's threads (or this thread), newest first."""
    after = cursors.decode_access(cmd.cursor) if cmd.cursor else None
    fund = cmd.supervisor.fund
    async with uow() as unit:
        if (
            cmd.thread_id is not None
            and await unit.threads.get_thread(cmd.thread_id, fund=fund) is None
        ):
            raise thread_not_found()
        rows = await unit.threads.list_access(
            fund=fund,
            thread_id=cmd.thread_id,
            agent_id=cmd.agent_id,
            after=after,
            limit=cmd.limit + 1,
        )
    more = len(rows) > cmd.limit
    rows = rows[: cmd.limit]
    return AccessPage(rows, cursors.encode(rows[-1].accessed_at, rows[-1].id) if more else None)
