"""The delivery log agents read, and the dead letters supervisors replay."""

from __future__ import annotations

from notifier.domain.commands import ListDeadLetters, ListDeliveries, ReplayDeadLetter
from notifier.domain.delivery_log import DeliveriesPage, decode_cursor, encode_cursor, seen_by
from notifier.domain.errors import DeliveryFilterInvalid, DeliveryNotFound, MemberForgotten
from notifier.domain.model import Delivery, DeliveryStatus
from notifier.service_layer.unit_of_work import UnitOfWorkFactory


async def list_deliveries(cmd: ListDeliveries, *, uow: UnitOfWorkFactory) -> DeliveriesPage:
    if (cmd.thread_id is None) == (cmd.member_id is None):
        raise DeliveryFilterInvalid()
    after = decode_cursor(cmd.cursor)
    async with uow() as transaction:
        page = await transaction.deliveries.page(
            fund=cmd.fund,
            thread_id=cmd.thread_id,
            member_id=cmd.member_id,
            after=after,
            limit=cmd.limit,
        )
    return DeliveriesPage(
        data=[seen_by(delivery, cmd.viewer_role) for delivery in page.deliveries],
        next_cursor=encode_cursor(page.next_position),
    )


async def list_dead_letters(cmd: ListDeadLetters, *, uow: UnitOfWorkFactory) -> DeliveriesPage:
    after = decode_cursor(cmd.cursor)
    async with uow() as transaction:
        page = await transaction.deliveries.page(
            fund=cmd.fund, dead_only=True, after=after, limit=cmd.limit
        )
    return DeliveriesPage(
        data=[seen_by(delivery, cmd.viewer_role) for delivery in page.deliveries],
        next_cursor=encode_cursor(page.next_position),
    )


async def replay_dead_letter(cmd: ReplayDeadLetter, *, uow: UnitOfWorkFactory) -> Delivery:
    """Send a dead-lettered email again now. Replaying twice is replaying once: a delivery
    already replayed (pending, sent...) is returned as it is."""
    async with uow() as transaction:
        delivery = await transaction.deliveries.get(cmd.delivery_id, fund=cmd.fund, lock=True)
        if delivery is None or (delivery.dead_at is None and delivery.replayed_at is None):
            raise DeliveryNotFound(cmd.delivery_id)
        if delivery.forgotten_at is not None:
            raise MemberForgotten(cmd.delivery_id)
        if delivery.status is not DeliveryStatus.DEAD:
            return seen_by(delivery, cmd.viewer_role)
        replayed = await transaction.deliveries.replay(
            cmd.delivery_id, replayed_by=cmd.requested_by
        )
        transaction.wake_worker()
        await transaction.commit()
    return seen_by(replayed, cmd.viewer_role)
