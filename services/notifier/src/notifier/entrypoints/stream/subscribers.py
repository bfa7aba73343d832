"""The notifier's Kafka consumers: one consumer group per kind of event.

Each turns an event into a command, handled in the same transaction as the event id
(``servicekit``'s idempotent consumer opens it and commits; the offset is committed after
that). The records of one poll (up to ``consumer_batch_size``) share one transaction and
one offset commit, each event still applied once.
"""

from __future__ import annotations

from contracts import Event
from contracts.events.auth import MemberContactChanged
from contracts.topics import (
    ACCOUNT_NOTIFICATION,
    MEMBER_CONTACT,
    MESSAGE_SUBMITTED,
    NOTIFIER_DEAD_LETTER,
    REPLY_POSTED,
    THREAD_ACTIVITY,
)
from notifier.config import Settings
from notifier.domain.commands import ForgetMember, RequestEmail, SaveContact
from notifier.service_layer.handlers import events
from notifier.service_layer.unit_of_work import NotifierUnitOfWork, UnitOfWorkFactory
from servicekit.runtime import ServiceRuntime


def contact_consumer_name(settings: Settings) -> str:
    """The contact projection's consumer group: a new version reads the topic from the start."""
    return f"member-contact-v{settings.contact_projection_version}"


def register_consumers(
    runtime: ServiceRuntime, settings: Settings, unit_of_work: UnitOfWorkFactory
) -> None:
    async def request_email(event: Event, transaction: NotifierUnitOfWork) -> None:
        await events.request_email(RequestEmail(event), transaction=transaction, settings=settings)

    async def save_contact(event: MemberContactChanged, transaction: NotifierUnitOfWork) -> None:
        await events.save_contact(SaveContact(event), transaction=transaction)

    async def forget_member(key: str, transaction: NotifierUnitOfWork) -> None:
        await events.forget_member(ForgetMember(key), transaction=transaction)

    for name, topic, description in (
        (
            "message-submitted",
            MESSAGE_SUBMITTED,
            "Confirmation email: the member's message (or follow-up) was received.",
        ),
        (
            "reply-posted",
            REPLY_POSTED,
            "Reply-available email: a reply waits in the private space.",
        ),
        (
            "thread-activity",
            THREAD_ACTIVITY,
            "« Je n'ai pas compris la réponse » confirmation; « Demande de précisions » "
            "reminder and closing emails (the thread's other activity asks for none).",
        ),
        (
            "account-notification",
            ACCOUNT_NOTIFICATION,
            "Account emails: activation code, password reset link, lock warning, email-change code.",
        ),
    ):
        runtime.add_consumer(
            name,
            topic,
            request_email,
            unit_of_work=unit_of_work,
            dead_letter_topic=NOTIFIER_DEAD_LETTER,
            description=description,
            batch_size=settings.consumer_batch_size,
            prepare_group=events.prepare_emails,
        )
    runtime.add_consumer(
        contact_consumer_name(settings),
        MEMBER_CONTACT,
        save_contact,
        unit_of_work=unit_of_work,
        dead_letter_topic=NOTIFIER_DEAD_LETTER,
        on_tombstone=forget_member,
        auto_offset_reset="earliest",
        batch_size=settings.consumer_batch_size,
        description="Contact projection: where to write to each member (compacted topic).",
    )
