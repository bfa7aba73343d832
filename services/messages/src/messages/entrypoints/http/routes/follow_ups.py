"""The member's side of what follows a reply: « Je n'ai pas compris la réponse » and
« Cette réponse vous a-t-elle aidé ? »."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from messages.domain.commands import GiveSatisfaction, MarkReplyNotUnderstood
from messages.domain.follow_ups import Satisfaction
from messages.domain.model import Thread
from messages.entrypoints.http import schemas
from messages.entrypoints.http.deps import BusDep, MemberDep
from servicekit.problems import problem_responses

router = APIRouter(tags=["member"])


@router.post(
    "/threads/{thread_id}/replies/{reply_id}/not-understood",
    summary=(
        "« Je n'ai pas compris la réponse »: the thread goes back to the fund as a « relance » "
        "(first in its queue, the agent who answered first, 2 working days)"
    ),
    response_model=schemas.ThreadPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def mark_not_understood(
    thread_id: uuid.UUID,
    reply_id: uuid.UUID,
    body: schemas.NotUnderstoodCreate,
    member: MemberDep,
    bus: BusDep,
) -> Thread:
    return await bus.handle(
        MarkReplyNotUnderstood(
            member=member, thread_id=thread_id, reply_id=reply_id, text=body.text
        )
    )


@router.put(
    "/threads/{thread_id}/replies/{reply_id}/satisfaction",
    summary=(
        "« Cette réponse vous a-t-elle aidé ? »: Oui / Non and an optional comment; one answer "
        "per reply, changeable for 7 days"
    ),
    response_model=schemas.SatisfactionPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def give_satisfaction(
    thread_id: uuid.UUID,
    reply_id: uuid.UUID,
    body: schemas.SatisfactionGive,
    member: MemberDep,
    bus: BusDep,
) -> Satisfaction:
    return await bus.handle(
        GiveSatisfaction(
            member=member,
            thread_id=thread_id,
            reply_id=reply_id,
            helpful=body.helpful,
            comment=body.comment,
        )
    )
