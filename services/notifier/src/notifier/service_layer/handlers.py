"""What the notifier does with each event and request. Each handler runs in one unit of
work; the caller commits (the idempotent consumer, or the route through ``replay``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts import Event
from contracts.events.auth import MemberContactChanged
from contracts.events.messages import MessageSubmitted, ReplyPosted
from notifier.adapters.repository import (
    Page,
    delete_processed_events,
    forget_member_in_dead_letters,
    lock_member,
)
from notifier.domain.commands import ChangePreferences, ReplayDeadLetter
from notifier.domain.errors import DeliveryNotFound, MemberForgotten
from notifier.domain.model import (
    AccountEvent,
    Delivery,
    DeliveryStatus,
    kind_of,
    message_id,
)
from notifier.domain.preferences import Preferences
from notifier.service_layer.unit_of_work import NotifierUnitOfWork


async def request_email(
    event: Event, uow: NotifierUnitOfWork, *, contact_wait: timedelta, mail_domain: str
) -> None:
    """Record the email ``event`` asks for, in the same transaction as the event id.

    Thread notifications go to the member's contact; when it is not known yet (its event is
    late) the email waits for it, unless the member turned these emails off: the delivery
    worker then records it as skipped at once. Account emails carry their own address. The
    email of a member whose account was deleted is recorded forgotten, and never sent."""
    kind = kind_of(event)
    payload = event.model_dump(mode="json")
    if isinstance(event, MessageSubmitted | ReplyPosted):
        member_id = event.member_id
        await lock_member(uow.session, member_id)
        ready = (
            await uow.contacts.get(event.member_id) is not None
            or not (await uow.preferences.get(event.member_id)).thread_emails
        )
        added = await uow.deliveries.add(
            event_id=event.event_id,
            kind=kind,
            status=DeliveryStatus.PENDING if ready else DeliveryStatus.WAITING_CONTACT,
            fund=event.fund,
            member_id=event.member_id,
            thread_id=event.thread_id,
            reference=event.reference,
            payload=payload,
            recipient=None,
            message_id=message_id(event.event_id, kind, mail_domain),
            wait=contact_wait,
        )
    else:
        account: AccountEvent = event  # type: ignore[assignment]  # kind_of checked it
        member_id = account.member_id
        # Taken for account emails too: a tombstone applied at the same moment is seen.
        await lock_member(uow.session, member_id)
        added = await uow.deliveries.add(
            event_id=event.event_id,
            kind=kind,
            status=DeliveryStatus.PENDING,
            fund=account.fund,
            member_id=account.member_id,
            thread_id=None,
            reference=None,
            payload=payload,
            recipient=account.email,
            message_id=message_id(event.event_id, kind, mail_domain),
            wait=None,
        )
    if added and await uow.contacts.is_forgotten(member_id):
        # Asked for before the account was deleted, read after its tombstone: forgotten at
        # once, as the tombstone would have done, and never sent.
        await uow.deliveries.forget_member(member_id)
    elif added:
        uow.wake_worker()


async def save_contact(event: MemberContactChanged, uow: NotifierUnitOfWork) -> None:
    """Keep the member's contact as this event says (the last on the partition wins: see
    ``ContactRepository.save``), and send what was waiting for it."""
    await lock_member(uow.session, event.member_id)
    await uow.contacts.save(event)
    if await uow.deliveries.wake_waiting(event.member_id):
        uow.wake_worker()


async def forget_contact(key: str, uow: NotifierUnitOfWork) -> None:
    """A tombstone on the contact topic: the member deleted their account. Their contact and
    choices go; their deliveries keep identifiers and dates only (no address, name, code or
    token), and those not sent yet never will be: they are dead, "compte supprimé", with no
    dead letter (there is nothing to fix or replay). The notifier's dead letters about them
    still in the outbox are reduced the same way. The member is remembered as forgotten for a
    while, so that an email asked for before the deletion and read after it is forgotten as
    it arrives. Applying it twice changes nothing more."""
    try:
        member_id = uuid.UUID(key)
    except ValueError:
        return
    await lock_member(uow.session, member_id)
    await uow.contacts.forget(member_id)
    await uow.preferences.remove(member_id)
    await uow.deliveries.forget_member(member_id)
    await forget_member_in_dead_letters(uow.session, member_id)


async def get_preferences(uow: NotifierUnitOfWork, *, member_id: uuid.UUID) -> Preferences:
    async with uow:
        return await uow.preferences.get(member_id)


async def change_preferences(cmd: ChangePreferences, uow: NotifierUnitOfWork) -> Preferences:
    """Record the member's choice. Thread emails already due and not yet handed to the SMTP
    server are not sent once it is off: the delivery worker reads the choice when it claims
    them."""
    async with uow:
        saved = await uow.preferences.save(
            cmd.member_id, Preferences(thread_emails=cmd.thread_emails), through=cmd.through
        )
        await uow.commit()
        return saved


async def replay_dead_letter(cmd: ReplayDeadLetter, uow: NotifierUnitOfWork) -> Delivery:
    """Send a dead-lettered email again now. Replaying twice is replaying once: a delivery
    already replayed (pending, sent...) is returned as it is."""
    async with uow:
        delivery = await uow.deliveries.get(cmd.delivery_id, fund=cmd.fund, lock=True)
        if delivery is None or (delivery.dead_at is None and delivery.replayed_at is None):
            raise DeliveryNotFound(cmd.delivery_id)
        if delivery.forgotten_at is not None:
            raise MemberForgotten(cmd.delivery_id)
        if delivery.status is not DeliveryStatus.DEAD:
            return delivery
        replayed = await uow.deliveries.replay(cmd.delivery_id, replayed_by=cmd.requested_by)
        uow.wake_worker()
        await uow.commit()
        return replayed


async def list_deliveries(
    uow: NotifierUnitOfWork,
    *,
    fund: str,
    thread_id: uuid.UUID | None = None,
    member_id: uuid.UUID | None = None,
    dead_only: bool = False,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 50,
) -> Page:
    async with uow:
        return await uow.deliveries.page(
            fund=fund,
            thread_id=thread_id,
            member_id=member_id,
            dead_only=dead_only,
            after=after,
            limit=limit,
        )


@dataclass(frozen=True)
class PurgeReport:
    deliveries: int
    processed_events: int
    forgotten_members: int


async def purge_expired(
    unit_of_work: Callable[[], NotifierUnitOfWork],
    *,
    delivery_retention: timedelta,
    processed_event_retention: timedelta,
    batch_size: int = 1000,
) -> PurgeReport:
    """Delete the deliveries and the processed event ids past their retention, in batches of
    one transaction each, so that a large purge never holds locks for long. Several replicas
    may purge at once: each skips the rows another one holds."""

    async def in_batches(delete_batch: Callable[[NotifierUnitOfWork], Awaitable[int]]) -> int:
        total = 0
        while True:
            async with unit_of_work() as uow:
                deleted = await delete_batch(uow)
                await uow.commit()
            total += deleted
            if deleted < batch_size:
                return total

    deliveries = await in_batches(
        lambda uow: uow.deliveries.delete_finished(older_than=delivery_retention, limit=batch_size)
    )
    processed_events = await in_batches(
        lambda uow: delete_processed_events(
            uow.session, older_than=processed_event_retention, limit=batch_size
        )
    )
    # An event asked for before a deletion is read after it within the topics' retention:
    # the forgotten members need remembering no longer than the processed event ids.
    forgotten_members = await in_batches(
        lambda uow: uow.contacts.delete_forgotten(
            older_than=processed_event_retention, limit=batch_size
        )
    )
    return PurgeReport(
        deliveries=deliveries,
        processed_events=processed_events,
        forgotten_members=forgotten_members,
    )
