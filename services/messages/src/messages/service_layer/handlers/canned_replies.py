"""The fund's canned replies: listed for agents, written by supervisors."""

from __future__ import annotations

import uuid

from messages.domain.commands import DeleteCannedReply, ListCannedReplies, SaveCannedReply
from messages.domain.model import CannedReply, check_placeholders
from messages.domain.text import REPLY_MAX, REPLY_MIN, check_text
from messages.domain.views import CannedReplies
from messages.service_layer.handlers.common import canned_reply_not_found
from messages.service_layer.unit_of_work import UnitOfWorkFactory
from servicekit.clock import Clock


async def list_canned_replies(cmd: ListCannedReplies, *, uow: UnitOfWorkFactory) -> CannedReplies:
    async with uow() as unit:
        return CannedReplies(await unit.canned_replies.list(cmd.agent.fund))


async def save_canned_reply(
    cmd: SaveCannedReply, *, uow: UnitOfWorkFactory, clock: Clock
) -> CannedReply:
    """A new canned reply (no ``canned_reply_id``) or a changed one."""
    title = check_text(cmd.title, minimum=1, maximum=200, what="Le titre").text
    body = check_text(cmd.body, minimum=REPLY_MIN, maximum=REPLY_MAX, what="Le texte").text
    check_placeholders(body)
    now = clock.now()
    fund = cmd.supervisor.fund
    async with uow() as unit:
        if cmd.canned_reply_id is None:
            canned_reply_id = uuid.uuid4()
            await unit.canned_replies.add(
                CannedReply(
                    id=canned_reply_id,
                    fund=fund,
                    title=title,
                    body=body,
                    created_at=now,
                    updated_at=now,
                    updated_by_id=cmd.supervisor.id,
                    updated_by_name=cmd.supervisor.name,
                )
            )
        else:
            canned_reply_id = cmd.canned_reply_id
            changed = await unit.canned_replies.update(
                canned_reply_id,
                fund,
                {
                    "title": title,
                    "body": body,
                    "updated_at": now,
                    "updated_by_id": cmd.supervisor.id,
                    "updated_by_name": cmd.supervisor.name,
                },
            )
            if not changed:
                raise canned_reply_not_found()
        saved = await unit.canned_replies.get(canned_reply_id, fund)
        await unit.commit()
    assert saved is not None
    return saved


async def delete_canned_reply(cmd: DeleteCannedReply, *, uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        if not await unit.canned_replies.delete(cmd.canned_reply_id, cmd.supervisor.fund):
            raise canned_reply_not_found()
        await unit.commit()
