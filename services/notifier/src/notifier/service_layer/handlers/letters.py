"""Postal letters asked for by the auth service (``auth.postal-letter.v1``).

Called by the stream subscriber inside the idempotent consumer's transaction: the letter is
printed and dropped in the outgoing mail, and recorded, in the same transaction as the
event's id; a retry after a crash writes the same file again, never a second letter.
"""

from __future__ import annotations

import asyncio

from contracts.events.registry import ActivationLetterRequested
from notifier.adapters.letters import LetterRepository, OutgoingMail, activation_letter_pdf
from notifier.config import Settings
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.clock import Clock
from servicekit.logging import get_logger

logger = get_logger(__name__)


async def post_activation_letter(
    event: ActivationLetterRequested,
    *,
    transaction: NotifierUnitOfWork,
    settings: Settings,
    outgoing_mail: OutgoingMail,
    clock: Clock,
) -> None:
    posted_at = clock.now()
    content = await asyncio.to_thread(
        activation_letter_pdf, event, posted_at=posted_at, public_base_url=settings.public_base_url
    )
    file_name = await asyncio.to_thread(outgoing_mail.drop, event.event_id, content)
    await LetterRepository(transaction.session).add(
        letter_id=event.event_id,
        kind="activation",
        member_id=event.member_id,
        fund=event.fund,
        postal_code=event.address.postal_code,
        city=event.address.city,
        file_name=file_name,
        posted_at=posted_at,
    )
    logger.info("letter posted", kind="activation", fund=event.fund, file_name=file_name)
