"""The delivery log as agents read it: pages, their cursors, and what each role sees."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from notifier.domain.errors import InvalidCursor
from notifier.domain.model import Delivery, DeliveryStatus, mask_email
from notifier.domain.personal_data import mask_addresses
from servicekit import cursors

#: Where a page ends: the last delivery's creation time and id (newest first).
Position = tuple[datetime, uuid.UUID]


@dataclass(frozen=True)
class DeliveriesPage:
    """A page of deliveries, newest first, as the caller may see them."""

    data: list[Delivery]
    #: Gives the next page; None on the last one.
    next_cursor: str | None


def seen_by(delivery: Delivery, role: str | None) -> Delivery:
    """``delivery`` as an agent of ``role`` reads it: the recipient masked but for admins;
    the addresses quoted in the error masked for everyone (stored masked since, rows stored
    before are masked here); when it is tried next only while it is pending."""
    recipient = delivery.recipient
    if recipient is not None and role != "admin":
        recipient = mask_email(recipient)
    return replace(
        delivery,
        recipient=recipient,
        last_error=mask_addresses(delivery.last_error),
        next_attempt_at=(
            delivery.next_attempt_at if delivery.status is DeliveryStatus.PENDING else None
        ),
    )


def encode_cursor(position: Position | None) -> str | None:
    return None if position is None else cursors.encode(*position)


def decode_cursor(cursor: str | None) -> Position | None:
    if cursor is None:
        return None
    try:
        created_at, delivery_id = cursors.decode(cursor, datetime, uuid.UUID)
    except cursors.InvalidCursor:
        raise InvalidCursor(cursor) from None
    return created_at, delivery_id
