"""What follows a reply: « Je n'ai pas compris la réponse », the timers of a « Demande de
précisions » (reminder after 10 days, closing after 30), and « Cette réponse vous a-t-elle
aidé ? ». Events go to ``messages.thread-activity.v1``; none carries a text or a comment."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.events.messages import (
    DetailsProvided,
    DetailsReminderDue,
    DetailsRequested,
    ReplyNotUnderstood,
    SatisfactionGiven,
    ThreadClosedUnanswered,
)
from messages.domain import follow_ups
from messages.domain.commands import GiveSatisfaction, MarkReplyNotUnderstood, RunFollowUpTimers
from messages.domain.errors import InvalidText, MessageNotFound
from messages.domain.follow_ups import SATISFACTION_COMMENT_MAX, Satisfaction
from messages.domain.model import Message, Thread
from messages.domain.receipts import deposit_digest
from messages.domain.text import MESSAGE_MAX, MESSAGE_MIN, check_text
from messages.service_layer.handlers.common import (
    catalog_node,
    full_name,
    thread_closed_unanswered,
    thread_fields,
    thread_not_found,
)
from messages.service_layer.unit_of_work import MessagesUnitOfWork, UnitOfWorkFactory
from servicekit.clock import Clock, paris_date

REPLY_NOT_FOUND = "Cette réponse est introuvable dans votre demande."


def _reply_not_found() -> MessageNotFound:
    return MessageNotFound("reply-not-found", REPLY_NOT_FOUND)


def _catalog_fields(thread: Thread) -> dict[str, Any]:
    return {
        "theme": catalog_node(thread.theme),
        "subject": catalog_node(thread.subject),
        "motif": catalog_node(thread.motif),
    }


def details_requested(
    thread: Thread, reply: Message, producer: str, now: datetime
) -> DetailsRequested:
    return DetailsRequested.new(
        producer=producer,
        occurred_at=now,
        **thread_fields(thread),
        **_catalog_fields(thread),
        reply_id=reply.id,
        requested_at=now,
        reminder_on=paris_date(follow_ups.reminder_at(now)),
        closes_on=paris_date(follow_ups.closing_at(now)),
    )


def details_provided(
    thread: Thread, message: Message, producer: str, now: datetime
) -> DetailsProvided:
    return DetailsProvided.new(
        producer=producer,
        occurred_at=now,
        **thread_fields(thread),
        message_id=message.id,
        provided_at=now,
        due_date=thread.due_date,
    )


async def _reply_of(unit: MessagesUnitOfWork, thread_id: uuid.UUID, reply_id: uuid.UUID) -> Message:
    reply = await unit.threads.get_message(thread_id, reply_id)
    if reply is None or reply.author_kind != "agent":
        raise _reply_not_found()
    return reply


async def mark_reply_not_understood(
    cmd: MarkReplyNotUnderstood, *, uow: UnitOfWorkFactory, clock: Clock
) -> Thread:
    """The thread goes back to the fund as a « relance »: first in its queue, with the agent
    who answered first, due within 2 working days. The member's short explanation, if any,
    is a message of the thread (10 to 750 characters)."""
    async with uow() as unit:
        thread = await unit.threads.get_thread(
            cmd.thread_id, member_id=cmd.member.id, for_update=True
        )
        if thread is None:
            raise thread_not_found()
        reply = await _reply_of(unit, thread.id, cmd.reply_id)
        checked = (
            check_text(cmd.text, minimum=MESSAGE_MIN, maximum=MESSAGE_MAX)
            if cmd.text is not None and cmd.text.strip()
            else None
        )
        now = clock.now()
        first = await unit.follow_ups.first_reply_author(thread.id)
        thread.not_understood(
            now,
            follow_ups.relance_due_date(now),
            first[0] if first else None,
            first[1] if first else None,
        )
        message: Message | None = None
        if checked is not None:
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
            message = replace(message, deposit_sha256=deposit_digest(thread, message))
            await unit.threads.add_message(message)
        await unit.follow_ups.mark_not_understood(reply.id, now)
        await unit.threads.save_thread(thread, search_text=checked.text if checked else None)
        unit.publish(
            ReplyNotUnderstood.new(
                producer=unit.producer,
                occurred_at=now,
                **thread_fields(thread),
                **_catalog_fields(thread),
                reply_id=reply.id,
                follow_up_message_id=message.id if message else None,
                assigned_agent_id=thread.assignee_id,
                due_date=thread.due_date,
            )
        )
        await unit.commit()
    return thread


async def give_satisfaction(
    cmd: GiveSatisfaction, *, uow: UnitOfWorkFactory, clock: Clock
) -> Satisfaction:
    """One answer per reply, changeable for 7 days; the comment stays here."""
    comment = cmd.comment.strip() if cmd.comment else None
    if comment and len(comment) > SATISFACTION_COMMENT_MAX:
        raise InvalidText(
            "comment-too-long",
            f"Votre commentaire dépasse {SATISFACTION_COMMENT_MAX} caractères : raccourcissez-le.",
        )
    async with uow() as unit:
        thread = await unit.threads.get_thread(cmd.thread_id, member_id=cmd.member.id)
        if thread is None:
            raise thread_not_found()
        reply = await _reply_of(unit, thread.id, cmd.reply_id)
        now = clock.now()
        earlier = await unit.follow_ups.satisfaction(reply.id, for_update=True)
        if earlier is None:
            answer = Satisfaction(reply.id, thread.id, cmd.helpful, comment or None, now, now)
            if not await unit.follow_ups.add_satisfaction(answer):
                # Another first answer committed meanwhile: this one changes it.
                earlier = await unit.follow_ups.satisfaction(reply.id, for_update=True)
        if earlier is not None:
            answer = earlier.changed(cmd.helpful, comment or None, now)
            await unit.follow_ups.save_satisfaction(answer)
        unit.publish(
            SatisfactionGiven.new(
                producer=unit.producer,
                occurred_at=now,
                thread_id=thread.id,
                reference=thread.reference,
                fund=thread.fund,
                **_catalog_fields(thread),
                reply_id=reply.id,
                helpful=answer.helpful,
                has_comment=bool(answer.comment),
                answered_at=now,
                changed=earlier is not None,
            )
        )
        await unit.commit()
    return answer


async def run_follow_up_timers(
    cmd: RunFollowUpTimers, *, uow: UnitOfWorkFactory, clock: Clock
) -> int:
    """One batch of due timers, in one transaction: each thread asked for details 30 days
    ago closes (ThreadClosedUnanswered), each asked 10 days ago and not yet reminded is
    reminded (DetailsReminderDue). Rows another replica holds are skipped; a thread done
    is no longer due, so nothing happens twice."""
    now = clock.now()
    async with uow() as unit:
        threads = await unit.follow_ups.due_for_timers(now, cmd.batch_size)
        for thread in threads:
            asked_at = thread.awaiting_member_since
            assert asked_at is not None
            if now >= follow_ups.closing_at(asked_at):
                thread.close_unanswered(now)
                event: ThreadClosedUnanswered | DetailsReminderDue = thread_closed_unanswered(
                    thread, unit.producer, now
                )
            else:
                thread.details_reminded_at = now
                event = DetailsReminderDue.new(
                    producer=unit.producer,
                    occurred_at=now,
                    **thread_fields(thread),
                    requested_at=asked_at,
                    closes_on=paris_date(follow_ups.closing_at(asked_at)),
                )
            await unit.threads.save_thread(thread)
            unit.publish(event)
        if threads:
            await unit.commit()
    return len(threads)
