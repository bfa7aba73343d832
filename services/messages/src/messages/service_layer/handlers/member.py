"""The member's side: prepare and send a message, write again, list and read one's threads."""

from __future__ import annotations

import uuid
from dataclasses import replace

from messages.domain import calendar, follow_ups, routing
from messages.domain.commands import (
    ListMemberThreads,
    OpenMemberThread,
    PrepareMessage,
    SubmitFollowUp,
    SubmitMessage,
)
from messages.domain.medical import medical_lexicon
from messages.domain.model import Message, Node, Status, Thread, format_reference
from messages.domain.receipts import deposit_digest
from messages.domain.text import MESSAGE_MAX, MESSAGE_MIN, check_text
from messages.domain.views import MemberThreadView, Preparation, Sent, Submission, ThreadsPage
from messages.entrypoints.http.schemas import ThreadCreated
from messages.service_layer import cursors
from messages.service_layer.catalog import CatalogHolder
from messages.service_layer.handlers.attachments import select_uploads
from messages.service_layer.handlers.common import (
    full_name,
    message_submitted,
    replay_or_hold,
    replay_or_hold_taking,
    thread_not_found,
)
from messages.service_layer.handlers.follow_ups import details_provided
from messages.service_layer.unit_of_work import MessagesUnitOfWork, UnitOfWorkFactory
from servicekit.clock import Clock, paris_date


async def prepare_message(cmd: PrepareMessage, *, catalog: CatalogHolder) -> Preparation:
    """Step 5 "Valider": check the choice and the text, return the recap. Nothing is stored."""
    choice = (await catalog.current()).resolve(
        theme=cmd.theme, subject=cmd.subject, motif=cmd.motif, fund=cmd.member.fund
    )
    checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
    return Preparation(
        choice=choice,
        text=checked.text,
        advisories=medical_lexicon().advisories(checked.text),
        characters=checked.characters,
        characters_left=MESSAGE_MAX - checked.characters,
    )


async def _sent(
    unit: MessagesUnitOfWork, principal_id: uuid.UUID, key: str, submission: Submission
) -> Sent:
    """The answer of a send, kept with the change for the request's repeats; then commit."""
    body = ThreadCreated.model_validate(submission).model_dump(mode="json")
    await unit.idempotency_keys.store_response(principal_id, key, 201, body)
    await unit.commit()
    return Sent(201, body)


async def submit_message(
    cmd: SubmitMessage, *, uow: UnitOfWorkFactory, catalog: CatalogHolder, clock: Clock
) -> Sent:
    """Step 6 "Envoyer": a new thread and its first message, announced by MessageSubmitted."""
    current = await catalog.current()
    now = clock.now()
    year = paris_date(now).year
    async with uow() as unit:
        # The key held and the reference's number taken in one statement (none for a repeat).
        replay, number = await replay_or_hold_taking(
            unit,
            cmd.member.id,
            cmd.idempotency,
            await unit.threads.reference_sequence(cmd.member.fund, year),
        )
        if replay is not None:
            return replay
        assert number is not None  # taken for every new request
        choice = current.resolve(
            theme=cmd.theme, subject=cmd.subject, motif=cmd.motif, fund=cmd.member.fund
        )
        checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
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
            author_name=full_name(cmd.member.given_name, cmd.member.family_name),
            body=checked.text,
            created_at=now,
        )
        files = await select_uploads(unit, cmd.member.id, cmd.attachment_ids)
        message = replace(message, deposit_sha256=deposit_digest(thread, message, files))
        await unit.threads.add_thread(thread, search_text=checked.text)
        await unit.threads.add_message(message)
        await unit.attachments.attach(
            cmd.attachment_ids, thread_id=thread.id, message_id=message.id, at=now
        )
        unit.publish(message_submitted(thread, message, unit.producer, files))
        return await _sent(unit, cmd.member.id, cmd.idempotency.key, Submission(thread, message))


async def submit_follow_up(cmd: SubmitFollowUp, *, uow: UnitOfWorkFactory, clock: Clock) -> Sent:
    """The member writes again in their thread: it waits for the fund again."""
    async with uow() as unit:
        replay = await replay_or_hold(unit, cmd.member.id, cmd.idempotency)
        if replay is not None:
            return replay
        thread = await unit.threads.get_thread(
            cmd.thread_id, member_id=cmd.member.id, for_update=True
        )
        if thread is None:
            raise thread_not_found()
        checked = check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
        now = clock.now()
        answers_details = thread.status is Status.AWAITING_MEMBER
        thread.follow_up(
            now,
            # The answer to a « Demande de précisions » restarts the suspended due date.
            follow_ups.restarted_due_date(now, thread.suspended_working_days or 0)
            if answers_details
            else calendar.due_date(now, thread.response_time_days),
        )
        message = Message(
            id=uuid.uuid4(),
            thread_id=thread.id,
            author_kind="member",
            author_id=cmd.member.id,
            author_name=full_name(cmd.member.given_name, cmd.member.family_name),
            body=checked.text,
            created_at=now,
            follow_up=True,
        )
        files = await select_uploads(unit, cmd.member.id, cmd.attachment_ids)
        message = replace(message, deposit_sha256=deposit_digest(thread, message, files))
        await unit.threads.add_message(message)
        await unit.attachments.attach(
            cmd.attachment_ids, thread_id=thread.id, message_id=message.id, at=now
        )
        await unit.threads.save_thread(thread, search_text=checked.text)
        unit.publish(message_submitted(thread, message, unit.producer, files))
        if answers_details:
            unit.publish(details_provided(thread, message, unit.producer, now))
        return await _sent(unit, cmd.member.id, cmd.idempotency.key, Submission(thread, message))


async def list_member_threads(cmd: ListMemberThreads, *, uow: UnitOfWorkFactory) -> ThreadsPage:
    after = cursors.decode_activity(cmd.cursor) if cmd.cursor else None
    search = cmd.query.strip() if cmd.query else None
    async with uow() as unit:
        threads = await unit.threads.list_member_threads(
            cmd.member.id,
            status=cmd.status,
            search=search or None,
            after=after,
            limit=cmd.limit + 1,
        )
    more = len(threads) > cmd.limit
    threads = threads[: cmd.limit]
    return ThreadsPage(
        threads,
        cursors.encode(threads[-1].last_activity_at, threads[-1].id) if more else None,
    )


async def open_member_thread(
    cmd: OpenMemberThread, *, uow: UnitOfWorkFactory, clock: Clock
) -> MemberThreadView:
    """The thread with its messages and replies in order; its replies become read."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(
            cmd.thread_id, member_id=cmd.member.id, for_update=True
        )
        if thread is None:
            raise thread_not_found()
        messages = await unit.threads.messages_of(thread.id)
        satisfactions = await unit.follow_ups.satisfactions_of(thread.id)
        if thread.unread_replies or any(
            m.author_kind == "agent" and m.read_at is None for m in messages
        ):
            now = clock.now()
            await unit.threads.mark_replies_read(thread.id, now)
            thread.read_by_member()
            await unit.threads.save_thread(thread)
            await unit.commit()
            messages = [
                replace(message, read_at=now)
                if message.author_kind == "agent" and not message.read_at
                else message
                for message in messages
            ]
    return MemberThreadView(thread, messages, satisfactions)
