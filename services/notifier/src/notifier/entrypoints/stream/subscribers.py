"""The notifier's Kafka consumers: one consumer group per kind of event.

Each turns an event into a recorded delivery (or a contact) in the same transaction as the
event id (``servicekit``'s idempotent consumer); the offset is committed after that.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from contracts.topics import (
    ACCOUNT_NOTIFICATION,
    MEMBER_CONTACT,
    MESSAGE_SUBMITTED,
    NOTIFIER_DEAD_LETTER,
    REPLY_POSTED,
)
from notifier.config import Settings
from notifier.service_layer import handlers
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.runtime import ServiceRuntime


def contact_consumer_name(settings: Settings) -> str:
    """The contact projection's consumer group: a new version reads the topic from the start."""
    return f"member-contact-v{settings.contact_projection_version}"


def register_consumers(
    runtime: ServiceRuntime, settings: Settings, unit_of_work: Callable[[], NotifierUnitOfWork]
) -> None:
    contact_wait = timedelta(seconds=settings.contact_wait_seconds)

    async def request_email(event: Any, uow: NotifierUnitOfWork) -> None:
        await handlers.request_email(
            event, uow, contact_wait=contact_wait, mail_domain=settings.message_id_domain
        )

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
        )
    runtime.add_consumer(
        contact_consumer_name(settings),
        MEMBER_CONTACT,
        handlers.save_contact,
        unit_of_work=unit_of_work,
        dead_letter_topic=NOTIFIER_DEAD_LETTER,
        on_tombstone=handlers.forget_contact,
        auto_offset_reset="earliest",
        description="Contact projection: where to write to each member (compacted topic).",
    )
