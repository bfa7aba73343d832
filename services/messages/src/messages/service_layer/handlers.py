"""Use cases: each takes a command and what it needs, and commits at most once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from contracts import get_fund
from contracts.events.common import CatalogNode
from contracts.events.messages import MessageSubmitted, ReplyPosted
from messages.domain import calendar, routing
from messages.domain.catalog import Catalog
from messages.domain.commands import (
    AddNote,
    Agent,
    AssignThread,
    ClaimThread,
    CloseThread,
    Idempotency,
    ListMemberThreads,
    Member,
    PostReply,
    PrepareMessage,
    QueueFilter,
    ReopenThread,
    SaveCannedReply,
    SubmitFollowUp,
    SubmitMessage,
)
from messages.domain.errors import (
    CannedReplyNotFound,
    IdempotencyConflict,
    InvalidText,
    ThreadNotFound,
)
from messages.domain.medical import medical_lexicon
from messages.domain.model import (
    Message,
    Node,
    PlaceholderValues,
    Status,
    Thread,
    check_placeholders,
    format_reference,
    render_canned_reply,
)
from messages.domain.text import (
    MESSAGE_MAX,
    MESSAGE_MIN,
    REPLY_MAX,
    REPLY_MIN,
    check_text,
)
from messages.service_layer import cursors, views
from messages.service_layer.unit_of_work import MessagesUnitOfWork

Clock = Callable[[], datetime]

THREAD_NOT_FOUND = "Cette demande est introuvable."


@dataclass(frozen=True)
class Outcome:
    """The response of an idempotent request: the first one's, replayed for its repeats."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True)
class Page:
    data: list[dict[str, Any]]
    next_cursor: str | None


def _not_found() -> ThreadNotFound:
    return ThreadNotFound("thread-not-found", THREAD_NOT_FOUND)


async def _replay_or_hold(
    uow: MessagesUnitOfWork, principal_id: uuid.UUID, idempotency: Idempotency
) -> Outcome | None:
    stored = await uow.repository.claim_idempotency_key(
        principal_id, idempotency.key, idempotency.fingerprint
    )
    if stored is None:
        return None
    if stored.fingerprint != idempotency.fingerprint or stored.status_code is None:
        raise IdempotencyConflict(
            "idempotency-key-reused",
            "Cette clé d'idempotence a déjà servi pour une autre demande : "
            "générez une nouvelle clé pour cet envoi.",
        )
    return Outcome(stored.status_code, stored.response or {}, replayed=True)


# Member side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preparation:
    body: dict[str, Any]


def prepare_message(cmd: PrepareMessage, *, catalog: Catalog) -> Preparation:
    """Step 5 "Valider": check the choice and the text, return the recap. Nothing is stored."""
    choice = catalog.resolve(
        theme=cmd.theme, subject=cmd.subject, motif=cmd.motif, fund=cmd.member.fund
    )
    checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
    service = choice.online_service
    return Preparation(
        {
            "recap": {
                "theme": views.node(choice.theme.code, choice.theme.label),
                "subject": views.node(choice.subject.code, choice.subject.label),
                "motif": views.node(choice.motif.code, choice.motif.label),
                "text": checked.text,
            },
            "online_service": (
                {
                    "title": service.title,
                    "description": service.description,
                    "url": service.url,
                    "call_to_action": service.call_to_action,
                }
                if service is not None
                else None
            ),
            "advisories": [
                {"code": advisory.code, "message": advisory.message}
                for advisory in medical_lexicon().advisories(checked.text)
            ],
            "characters": checked.characters,
            "characters_left": MESSAGE_MAX - checked.characters,
        }
    )


def _node(node: Node) -> CatalogNode:
    return CatalogNode(code=node.code, label=node.label)


def _message_submitted(thread: Thread, message: Message, producer: str) -> MessageSubmitted:
    return MessageSubmitted.new(
        producer=producer,
        occurred_at=message.created_at,
        thread_id=thread.id,
        message_id=message.id,
        reference=thread.reference,
        member_id=thread.member_id,
        fund=thread.fund,
        theme=_node(thread.theme),
        subject=_node(thread.subject),
        motif=_node(thread.motif),
        submitted_at=message.created_at,
        due_date=thread.due_date,
        follow_up=message.follow_up,
    )


async def submit_message(
    cmd: SubmitMessage, *, uow: MessagesUnitOfWork, catalog: Catalog, clock: Clock
) -> Outcome:
    """Step 6 "Envoyer": a new thread and its first message, announced by MessageSubmitted."""
    async with uow:
        replay = await _replay_or_hold(uow, cmd.member.id, cmd.idempotency)
        if replay is not None:
            return replay
        choice = catalog.resolve(
            theme=cmd.theme, subject=cmd.subject, motif=cmd.motif, fund=cmd.member.fund
        )
        checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
        now = clock()
        year = calendar.paris_date(now).year
        number = await uow.repository.next_reference_number(cmd.member.fund, year)
        thread = Thread(
            id=uuid.uuid4(),
            reference=format_reference(cmd.member.fund, year, number),
            fund=cmd.member.fund,
            member_id=cmd.member.id,
            member_given_name=cmd.member.given_name,
            member_family_name=cmd.member.family_name,
            theme=Node(choice.theme.code, choice.theme.label),
            subject=Node(choice.subject.code, choice.subject.label),
            motif=Node(choice.motif.code, choice.motif.label),
            skill=routing.stored_skill(choice.motif.skill),
            response_time_days=choice.motif.response_time_days,
            status=Status.SUBMITTED,
            created_at=now,
            last_activity_at=now,
            due_date=calendar.due_date(now, choice.motif.response_time_days),
        )
        message = Message(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_kind="member",
            author_id=cmd.member.id,
            author_name=_full_name(cmd.member.given_name, cmd.member.family_name),
            body=checked.text,
            created_at=now,
        )
        await uow.repository.add_thread(thread, search_text=checked.text)
        await uow.repository.add_message(message)
        uow.publish(_message_submitted(thread, message, uow.producer))
        body = views.submission_receipt(thread, message)
        await uow.repository.store_idempotent_response(
            cmd.member.id, cmd.idempotency.key, 201, body
        )
        await uow.commit()
        return Outcome(201, body)


async def submit_follow_up(
    cmd: SubmitFollowUp, *, uow: MessagesUnitOfWork, clock: Clock
) -> Outcome:
    """The member writes again in their thread: it waits for the fund again."""
    async with uow:
        replay = await _replay_or_hold(uow, cmd.member.id, cmd.idempotency)
        if replay is not None:
            return replay
        thread = await uow.repository.get_thread(
            cmd.thread_id, member_id=cmd.member.id, for_update=True
        )
        if thread is None:
            raise _not_found()
        checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
        now = clock()
        thread.follow_up(now, calendar.due_date(now, thread.response_time_days))
        message = Message(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_kind="member",
            author_id=cmd.member.id,
            author_name=_full_name(cmd.member.given_name, cmd.member.family_name),
            body=checked.text,
            created_at=now,
            follow_up=True,
        )
        await uow.repository.add_message(message)
        await uow.repository.save_thread(thread, search_text=checked.text)
        uow.publish(_message_submitted(thread, message, uow.producer))
        body = views.submission_receipt(thread, message)
        await uow.repository.store_idempotent_response(
            cmd.member.id, cmd.idempotency.key, 201, body
        )
        await uow.commit()
        return Outcome(201, body)


async def list_member_threads(cmd: ListMemberThreads, *, uow: MessagesUnitOfWork) -> Page:
    after = cursors.decode_activity(cmd.cursor) if cmd.cursor else None
    search = cmd.query.strip() if cmd.query else None
    async with uow:
        threads = await uow.repository.list_member_threads(
            cmd.member.id,
            status=cmd.status,
            search=search or None,
            after=after,
            limit=cmd.limit + 1,
        )
    more = len(threads) > cmd.limit
    threads = threads[: cmd.limit]
    return Page(
        [views.member_thread_summary(thread) for thread in threads],
        cursors.encode(threads[-1].last_activity_at, threads[-1].id) if more else None,
    )


async def open_member_thread(
    member: Member, thread_id: uuid.UUID, *, uow: MessagesUnitOfWork, clock: Clock
) -> dict[str, Any]:
    """The thread with its messages and replies in order; its replies become read."""
    async with uow:
        thread = await uow.repository.get_thread(thread_id, member_id=member.id, for_update=True)
        if thread is None:
            raise _not_found()
        messages = await uow.repository.messages_of(thread.id)
        if thread.unread_replies or any(
            m.author_kind == "agent" and m.read_at is None for m in messages
        ):
            now = clock()
            await uow.repository.mark_replies_read(thread.id, now)
            thread.read_by_member()
            await uow.repository.save_thread(thread)
            await uow.commit()
            messages = [
                _read(message, now)
                if message.author_kind == "agent" and not message.read_at
                else message
                for message in messages
            ]
    return views.member_thread_summary(thread) | {
        "last_consulted_by_fund_at": (
            thread.last_consulted_by_fund_at.isoformat()
            if thread.last_consulted_by_fund_at
            else None
        ),
        "messages": [views.message_view(message, for_agent=False) for message in messages],
    }


def _read(message: Message, now: datetime) -> Message:
    from dataclasses import replace

    return replace(message, read_at=now)


def _full_name(given_name: str, family_name: str) -> str:
    return " ".join(part for part in (given_name, family_name) if part)


# Agent side -----------------------------------------------------------------------------


async def list_queue(
    queue: QueueFilter, *, cursor: str | None, limit: int, uow: MessagesUnitOfWork
) -> Page:
    after = cursors.decode_due(cursor) if cursor else None
    async with uow:
        threads = await uow.repository.list_queue(queue, after=after, limit=limit + 1)
    more = len(threads) > limit
    threads = threads[:limit]
    return Page(
        [views.agent_thread_summary(thread) for thread in threads],
        cursors.encode(threads[-1].due_date, threads[-1].id) if more else None,
    )


async def queue_counts(
    queue: QueueFilter, *, agent: Agent, uow: MessagesUnitOfWork, today: date
) -> dict[str, int]:
    async with uow:
        return await uow.repository.queue_counts(
            queue, agent_id=agent.id, agent_skills=agent.skills, today=today
        )


async def open_agent_thread(
    agent: Agent, thread_id: uuid.UUID, *, uow: MessagesUnitOfWork, clock: Clock
) -> dict[str, Any]:
    """The thread as the fund sees it; the opening is recorded in the access audit."""
    async with uow:
        thread = await uow.repository.get_thread(thread_id, fund=agent.fund, for_update=True)
        if thread is None:
            raise _not_found()
        now = clock()
        thread.consulted_by_fund(now)
        await uow.repository.save_thread(thread)
        await uow.repository.add_access(
            thread=thread, agent_id=agent.id, agent_name=agent.name, now=now
        )
        messages = await uow.repository.messages_of(thread.id)
        notes = await uow.repository.notes_of(thread.id)
        await uow.commit()
    return views.agent_thread_summary(thread) | {
        "messages": [views.message_view(message, for_agent=True) for message in messages],
        "notes": [views.note_view(note) for note in notes],
    }


async def _change_thread(
    agent: Agent,
    thread_id: uuid.UUID,
    change: Callable[[Thread], None],
    *,
    uow: MessagesUnitOfWork,
) -> Thread:
    async with uow:
        thread = await uow.repository.get_thread(thread_id, fund=agent.fund, for_update=True)
        if thread is None:
            raise _not_found()
        change(thread)
        await uow.repository.save_thread(thread)
        await uow.commit()
    return thread


def _with_warnings(thread: Thread, warnings: list[routing.RoutingWarning]) -> dict[str, Any]:
    return views.agent_thread_summary(thread) | {
        "warnings": [{"code": warning.code, "message": warning.message} for warning in warnings]
    }


async def claim_thread(
    cmd: ClaimThread, *, uow: MessagesUnitOfWork, clock: Clock, skill_label: routing.SkillLabel
) -> dict[str, Any]:
    """The agent takes the thread, within their skills or not (``warnings`` says when not)."""
    now = clock()
    thread = await _change_thread(
        cmd.agent,
        cmd.thread_id,
        lambda thread: thread.claim(cmd.agent.id, cmd.agent.name, now),
        uow=uow,
    )
    return _with_warnings(
        thread, routing.claim_warnings(thread.skill, cmd.agent.skills, skill_label)
    )


async def assign_thread(
    cmd: AssignThread, *, uow: MessagesUnitOfWork, clock: Clock, skill_label: routing.SkillLabel
) -> dict[str, Any]:
    """A supervisor gives the thread to an agent, whatever their skills (``warnings`` says
    when they do not include the thread's, or were not given)."""
    now = clock()
    name = cmd.assignee_name.strip()
    if not name:
        raise InvalidText("empty-name", "Indiquez le nom du conseiller à qui attribuer la demande.")
    thread = await _change_thread(
        cmd.supervisor,
        cmd.thread_id,
        lambda thread: thread.assign(cmd.assignee_id, name, now),
        uow=uow,
    )
    return _with_warnings(
        thread,
        routing.assignment_warnings(thread.skill, name, cmd.assignee_skills, skill_label),
    )


async def close_thread(
    cmd: CloseThread, *, uow: MessagesUnitOfWork, clock: Clock
) -> dict[str, Any]:
    now = clock()
    thread = await _change_thread(
        cmd.agent, cmd.thread_id, lambda thread: thread.close(now), uow=uow
    )
    return views.agent_thread_summary(thread)


async def reopen_thread(
    cmd: ReopenThread, *, uow: MessagesUnitOfWork, clock: Clock
) -> dict[str, Any]:
    now = clock()
    thread = await _change_thread(
        cmd.agent, cmd.thread_id, lambda thread: thread.reopen(now), uow=uow
    )
    return views.agent_thread_summary(thread)


def _placeholder_values(thread: Thread, agent: Agent) -> PlaceholderValues:
    try:
        fund_name = get_fund(thread.fund).name
    except LookupError:
        fund_name = thread.fund
    return PlaceholderValues(
        prenom=thread.member_given_name,
        nom=thread.member_family_name,
        reference=thread.reference,
        caisse=fund_name,
        conseiller=agent.name,
    )


async def post_reply(cmd: PostReply, *, uow: MessagesUnitOfWork, clock: Clock) -> Outcome:
    """An agent answers, from scratch or from a canned reply; ReplyPosted is published."""
    async with uow:
        replay = await _replay_or_hold(uow, cmd.agent.id, cmd.idempotency)
        if replay is not None:
            return replay
        thread = await uow.repository.get_thread(
            cmd.thread_id, fund=cmd.agent.fund, for_update=True
        )
        if thread is None:
            raise _not_found()
        if cmd.canned_reply_id is not None:
            canned = await uow.repository.canned_reply(cmd.canned_reply_id, cmd.agent.fund)
            if canned is None:
                raise CannedReplyNotFound(
                    "canned-reply-not-found",
                    "Cette réponse type n'existe pas (ou plus) : choisissez-en une autre.",
                )
            raw = render_canned_reply(canned["body"], _placeholder_values(thread, cmd.agent))
        else:
            raw = cmd.text or ""
        checked = check_text(raw, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Votre réponse")
        now = clock()
        thread.reply(cmd.agent.id, cmd.agent.name, now)
        reply = Message(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_kind="agent",
            author_id=cmd.agent.id,
            author_name=cmd.agent.name,
            body=checked.text,
            created_at=now,
            canned_reply_id=cmd.canned_reply_id,
        )
        await uow.repository.add_message(reply)
        await uow.repository.save_thread(thread, search_text=checked.text)
        uow.publish(
            ReplyPosted.new(
                producer=uow.producer,
                occurred_at=now,
                thread_id=thread.id,
                reply_id=reply.id,
                reference=thread.reference,
                member_id=thread.member_id,
                fund=thread.fund,
                theme=_node(thread.theme),
                subject=_node(thread.subject),
                motif=_node(thread.motif),
                posted_at=now,
            )
        )
        body = views.reply_receipt(thread, reply)
        await uow.repository.store_idempotent_response(cmd.agent.id, cmd.idempotency.key, 201, body)
        await uow.commit()
        return Outcome(201, body)


async def render_canned_reply_for(
    agent: Agent, thread_id: uuid.UUID, canned_reply_id: uuid.UUID, *, uow: MessagesUnitOfWork
) -> dict[str, Any]:
    """A canned reply with this thread's values, for an agent to review before sending."""
    async with uow:
        thread = await uow.repository.get_thread(thread_id, fund=agent.fund)
        if thread is None:
            raise _not_found()
        canned = await uow.repository.canned_reply(canned_reply_id, agent.fund)
    if canned is None:
        raise CannedReplyNotFound(
            "canned-reply-not-found", "Cette réponse type n'existe pas (ou plus)."
        )
    return {
        "canned_reply_id": str(canned_reply_id),
        "title": canned["title"],
        "text": render_canned_reply(canned["body"], _placeholder_values(thread, agent)),
    }


async def add_note(cmd: AddNote, *, uow: MessagesUnitOfWork, clock: Clock) -> dict[str, Any]:
    """An internal note: for the fund only, never shown to the member, never in an event."""
    checked = check_text(cmd.text, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Votre note")
    async with uow:
        thread = await uow.repository.get_thread(cmd.thread_id, fund=cmd.agent.fund)
        if thread is None:
            raise _not_found()
        note = {
            "id": uuid.uuid4(),
            "thread_id": thread.id,
            "author_id": cmd.agent.id,
            "author_name": cmd.agent.name,
            "body": checked.text,
            "created_at": clock(),
        }
        await uow.repository.add_note(note)
        await uow.commit()
    return views.note_view(note)


async def thread_access(
    agent: Agent,
    *,
    thread_id: uuid.UUID | None,
    agent_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
    uow: MessagesUnitOfWork,
) -> Page:
    after = cursors.decode_access(cursor) if cursor else None
    async with uow:
        if (
            thread_id is not None
            and await uow.repository.get_thread(thread_id, fund=agent.fund) is None
        ):
            raise _not_found()
        rows = await uow.repository.list_access(
            fund=agent.fund, thread_id=thread_id, agent_id=agent_id, after=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        [views.access_view(row) for row in rows],
        cursors.encode(rows[-1]["accessed_at"], rows[-1]["id"]) if more else None,
    )


# Canned replies ----------------------------------------------------------------------------


async def list_canned_replies(agent: Agent, *, uow: MessagesUnitOfWork) -> list[dict[str, Any]]:
    async with uow:
        rows = await uow.repository.canned_replies(agent.fund)
    return [views.canned_reply_view(row) for row in rows]


def _checked_canned(cmd: SaveCannedReply) -> tuple[str, str]:
    title = check_text(cmd.title, minimum=1, maximum=200, what="Le titre").text
    body = check_text(cmd.body, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Le texte").text
    check_placeholders(body)
    return title, body


async def save_canned_reply(
    cmd: SaveCannedReply, *, uow: MessagesUnitOfWork, clock: Clock
) -> dict[str, Any]:
    title, body = _checked_canned(cmd)
    now = clock()
    values: dict[str, Any] = {
        "title": title,
        "body": body,
        "updated_at": now,
        "updated_by_id": cmd.supervisor.id,
        "updated_by_name": cmd.supervisor.name,
    }
    async with uow:
        if cmd.canned_reply_id is None:
            values |= {"id": uuid.uuid4(), "fund": cmd.supervisor.fund, "created_at": now}
            await uow.repository.add_canned_reply(values)
            canned_reply_id = values["id"]
        else:
            canned_reply_id = cmd.canned_reply_id
            if not await uow.repository.update_canned_reply(
                canned_reply_id, cmd.supervisor.fund, values
            ):
                raise CannedReplyNotFound(
                    "canned-reply-not-found", "Cette réponse type n'existe pas (ou plus)."
                )
        row = await uow.repository.canned_reply(canned_reply_id, cmd.supervisor.fund)
        await uow.commit()
    assert row is not None
    return views.canned_reply_view(row)


async def delete_canned_reply(
    supervisor: Agent, canned_reply_id: uuid.UUID, *, uow: MessagesUnitOfWork
) -> None:
    async with uow:
        if not await uow.repository.delete_canned_reply(canned_reply_id, supervisor.fund):
            raise CannedReplyNotFound(
                "canned-reply-not-found", "Cette réponse type n'existe pas (ou plus)."
            )
        await uow.commit()


# Retention and housekeeping ----------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    threads: int
    messages: int
    notes: int
    audit: int
    dry_run: bool


async def purge_closed_threads(
    *,
    older_than_years: int,
    dry_run: bool,
    uow_factory: Callable[[], MessagesUnitOfWork],
    clock: Clock,
    batch_size: int = 1000,
) -> PurgeReport:
    """Delete threads closed before ``older_than_years`` years ago, with everything they hold.

    Works in batches, one transaction each, so a large purge never holds long locks."""
    now = clock()
    try:
        cutoff = now.replace(year=now.year - older_than_years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - older_than_years, day=28)
    if dry_run:
        async with uow_factory() as uow:
            counts = await uow.repository.count_closed_before(cutoff)
        return PurgeReport(cutoff=cutoff, dry_run=True, **counts)
    totals = {"threads": 0, "messages": 0, "notes": 0, "audit": 0}
    while True:
        async with uow_factory() as uow:
            ids = await uow.repository.closed_threads_before(cutoff, batch_size)
            if not ids:
                break
            counts = await uow.repository.count_dependents(ids)
            await uow.repository.delete_threads(ids)
            await uow.commit()
        totals["threads"] += len(ids)
        for name, count in counts.items():
            totals[name] += count
    return PurgeReport(cutoff=cutoff, dry_run=dry_run, **totals)


async def forget_old_idempotency_keys(
    *, uow: MessagesUnitOfWork, clock: Clock, retention: timedelta
) -> int:
    async with uow:
        removed = await uow.repository.forget_idempotency_keys(clock() - retention)
        await uow.commit()
    return removed
