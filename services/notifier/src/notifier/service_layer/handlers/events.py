"""What the notifier does with the events of other services, inside the idempotent
consumer's transaction (the event id is recorded in the same one; the consumer commits)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from contracts import Event
from contracts.events.auth import AccountChanged
from notifier.adapters.repository.deliveries import NewDelivery
from notifier.config import Settings
from notifier.domain.commands import ForgetMember, RequestEmail, SaveContact
from notifier.domain.model import (
    AccountEvent,
    DeliveryStatus,
    ThreadEvent,
    asks_for_email,
    kind_of,
    message_id,
)
from notifier.service_layer.unit_of_work import NotifierUnitOfWork


def member_of(event: Event) -> uuid.UUID:
    """Whose email an event asks for: the member, or for the last email to a deleted account,
    the event itself (logged under its own id, so that the account's tombstone, read before
    or after it, does not forget it unsent; its personal data goes with the delivery log's
    retention)."""
    if isinstance(event, AccountChanged) and event.change == "account_deleted":
        return event.event_id
    member_id: uuid.UUID = getattr(event, "member_id")  # noqa: B009 - every email's event has one
    return member_id


async def prepare_emails(events: Sequence[Event], transaction: NotifierUnitOfWork) -> None:
    """The members of a poll's events locked and read at once, before ``request_email``
    takes each event (which then asks the database nothing more about them)."""
    await transaction.lock_and_know({member_of(event) for event in events if asks_for_email(event)})


async def request_email(
    cmd: RequestEmail, *, transaction: NotifierUnitOfWork, settings: Settings
) -> None:
    """Record the email the event asks for, in the same transaction as the event id.

    Thread notifications go to the member's contact; when it is not known yet (its event is
    late) the email waits for it, unless the member turned these emails off: the delivery
    worker then records it as skipped at once. Account emails carry their own address. The
    email of a member whose account was deleted is recorded forgotten, and never sent."""
    event = cmd.event
    if not asks_for_email(event):
        return  # a thread's activity the member is not mailed about (satisfaction, ...)
    kind = kind_of(event)
    payload = event.model_dump(mode="json")
    mail_id = message_id(event.event_id, kind, settings.message_id_domain)
    if isinstance(event, ThreadEvent):
        await transaction.lock_member(event.member_id)
        known = await transaction.known_member(event.member_id)
        ready = known.has_contact or not known.thread_emails
        delivery = NewDelivery(
            event_id=event.event_id,
            kind=kind,
            payload=payload,
            message_id=mail_id,
            status=DeliveryStatus.PENDING if ready else DeliveryStatus.WAITING_CONTACT,
            fund=event.fund,
            member_id=event.member_id,
            thread_id=event.thread_id,
            reference=event.reference,
            recipient=None,
            wait=timedelta(seconds=settings.contact_wait_seconds),
        )
    else:
        account: AccountEvent = event  # type: ignore[assignment]  # kind_of checked it
        member_id = member_of(account)
        # Taken for account emails too: a tombstone applied at the same moment is seen.
        await transaction.lock_member(member_id)
        known = await transaction.known_member(member_id)
        delivery = NewDelivery(
            event_id=event.event_id,
            kind=kind,
            payload=payload,
            message_id=mail_id,
            status=DeliveryStatus.PENDING,
            fund=account.fund,
            member_id=member_id,
            thread_id=None,
            reference=None,
            recipient=account.email,
            wait=None,
        )
    if known.forgotten:
        # Asked for before the account was deleted, read after its tombstone: forgotten at
        # once, as the tombstone would have done, and never sent.
        if await transaction.deliveries.add(delivery):
            await transaction.deliveries.forget_member(delivery.member_id)
        return
    # The usual case: written with the commit, in the statement that records the others.
    await transaction.deliveries.add_with_commit(delivery)
    transaction.wake_worker()


async def save_contact(cmd: SaveContact, *, transaction: NotifierUnitOfWork) -> None:
    """Keep the member's contact as this event says (the last on the partition wins: see
    ``ContactRepository.save``), and send what was waiting for it."""
    await transaction.lock_member(cmd.contact.member_id)
    await transaction.contacts.save(cmd.contact)
    if await transaction.deliveries.wake_waiting(cmd.contact.member_id):
        transaction.wake_worker()


async def forget_member(cmd: ForgetMember, *, transaction: NotifierUnitOfWork) -> None:
    """A tombstone on the contact topic: the member deleted their account. Their contact and
    choices go; their deliveries keep identifiers and dates only (no address, name, code or
    token), and those not sent yet never will be: they are dead, "compte supprimé", with no
    dead letter (there is nothing to fix or replay). The notifier's dead letters about them
    still in the outbox are reduced the same way. The member is remembered as forgotten for a
    while, so that an email asked for before the deletion and read after it is forgotten as
    it arrives. Applying it twice changes nothing more."""
    try:
        member_id = uuid.UUID(cmd.key)
    except ValueError:
        return
    await transaction.lock_member(member_id)
    await transaction.contacts.forget(member_id)
    await transaction.preferences.remove(member_id)
    await transaction.deliveries.forget_member(member_id)
    await transaction.dead_letters.forget_member(member_id)
