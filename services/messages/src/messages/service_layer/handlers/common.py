"""What the handlers of both sides share: the 404 of someone else's thread, idempotent replays,
the events about a thread, names, and the values of a canned reply's placeholders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from contracts import get_fund
from contracts.events.common import CatalogNode
from contracts.events.messages import (
    MessageSubmitted,
    ReplyPosted,
    ThreadClosed,
    ThreadClosedUnanswered,
    ThreadReopened,
)
from messages.domain.attachments import Attachment
from messages.domain.commands import Agent, Idempotency
from messages.domain.errors import CannedReplyNotFound, IdempotencyConflict, ThreadNotFound
from messages.domain.model import Message, Node, PlaceholderValues, Thread
from messages.domain.views import Sent
from messages.service_layer.unit_of_work import MessagesUnitOfWork

THREAD_NOT_FOUND = "Cette demande est introuvable."
CANNED_REPLY_NOT_FOUND = "Cette réponse type n'existe pas (ou plus)."


def thread_not_found() -> ThreadNotFound:
    return ThreadNotFound("thread-not-found", THREAD_NOT_FOUND)


def canned_reply_not_found(detail: str = CANNED_REPLY_NOT_FOUND) -> CannedReplyNotFound:
    return CannedReplyNotFound("canned-reply-not-found", detail)


async def replay_or_hold(
    unit: MessagesUnitOfWork, principal_id: uuid.UUID, idempotency: Idempotency
) -> Sent | None:
    """Hold the request's key in this transaction; or, if an earlier request holds it, its
    answer (``IdempotencyConflict`` if that request asked something else)."""
    replay, _ = await replay_or_hold_taking(unit, principal_id, idempotency, None)
    return replay


async def replay_or_hold_taking(
    unit: MessagesUnitOfWork,
    principal_id: uuid.UUID,
    idempotency: Idempotency,
    sequence: str | None,
) -> tuple[Sent | None, int | None]:
    """``replay_or_hold``, and for a new request the next number of ``sequence`` (the
    thread's reference number), in the same round trip as the key."""
    stored, taken = await unit.idempotency_keys.claim_taking(
        principal_id, idempotency.key, idempotency.fingerprint, sequence
    )
    if stored is None:
        return None, taken
    if stored.fingerprint != idempotency.fingerprint or stored.status_code is None:
        raise IdempotencyConflict(
            "idempotency-key-reused",
            "Cette clé d'idempotence a déjà servi pour une autre demande : "
            "générez une nouvelle clé pour cet envoi.",
        )
    return Sent(stored.status_code, stored.response or {}, replayed=True), None


def catalog_node(node: Node) -> CatalogNode:
    return CatalogNode(code=node.code, label=node.label)


def message_submitted(
    thread: Thread, message: Message, producer: str, files: Sequence[Attachment] = ()
) -> MessageSubmitted:
    return MessageSubmitted.new(
        producer=producer,
        occurred_at=message.created_at,
        thread_id=thread.id,
        message_id=message.id,
        reference=thread.reference,
        member_id=thread.member_id,
        fund=thread.fund,
        theme=catalog_node(thread.theme),
        subject=catalog_node(thread.subject),
        motif=catalog_node(thread.motif),
        submitted_at=message.created_at,
        due_date=thread.due_date,
        follow_up=message.follow_up,
        attachment_count=len(files),
        attachment_ids=[file.id for file in files],
    )


def reply_posted(
    thread: Thread,
    reply: Message,
    producer: str,
    now: datetime,
    files: Sequence[Attachment] = (),
) -> ReplyPosted:
    return ReplyPosted.new(
        producer=producer,
        occurred_at=now,
        thread_id=thread.id,
        reply_id=reply.id,
        reference=thread.reference,
        member_id=thread.member_id,
        fund=thread.fund,
        theme=catalog_node(thread.theme),
        subject=catalog_node(thread.subject),
        motif=catalog_node(thread.motif),
        posted_at=now,
        attachment_count=len(files),
        attachment_ids=[file.id for file in files],
    )


def thread_fields(thread: Thread) -> dict[str, Any]:
    """What every event about ``thread`` says of it."""
    return {
        "thread_id": thread.id,
        "reference": thread.reference,
        "member_id": thread.member_id,
        "fund": thread.fund,
    }


def thread_closed(thread: Thread, agent: Agent, producer: str, now: datetime) -> ThreadClosed:
    return ThreadClosed.new(
        producer=producer,
        occurred_at=now,
        **thread_fields(thread),
        agent_id=agent.id,
        closed_at=now,
    )


def thread_closed_unanswered(
    thread: Thread, producer: str, now: datetime
) -> ThreadClosedUnanswered:
    return ThreadClosedUnanswered.new(
        producer=producer, occurred_at=now, **thread_fields(thread), closed_at=now
    )


def thread_reopened(thread: Thread, agent: Agent, producer: str, now: datetime) -> ThreadReopened:
    return ThreadReopened.new(
        producer=producer,
        occurred_at=now,
        **thread_fields(thread),
        agent_id=agent.id,
        reopened_at=now,
        due_date=thread.due_date,
    )


def full_name(given_name: str, family_name: str) -> str:
    return " ".join(part for part in (given_name, family_name) if part)


def placeholder_values(thread: Thread, agent: Agent) -> PlaceholderValues:
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
