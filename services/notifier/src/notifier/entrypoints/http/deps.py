"""Dependencies of the notifier's routes."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from notifier.domain.preferences import UnsubscribeTokens
from notifier.service_layer.unit_of_work import NotifierUnitOfWork
from servicekit.problems import Problem


def get_unit_of_work(request: Request) -> NotifierUnitOfWork:
    unit_of_work: NotifierUnitOfWork = request.app.state.unit_of_work()
    return unit_of_work


UnitOfWorkDep = Annotated[NotifierUnitOfWork, Depends(get_unit_of_work)]


def get_unsubscribe_tokens(request: Request) -> UnsubscribeTokens:
    tokens: UnsubscribeTokens = request.app.state.unsubscribe_tokens
    return tokens


UnsubscribeTokensDep = Annotated[UnsubscribeTokens, Depends(get_unsubscribe_tokens)]

UnsubscribeToken = Annotated[
    str,
    Query(
        max_length=200,
        description="The token of the unsubscribe link, as the email carries it.",
    ),
]

Limit = Annotated[int, Query(ge=1, le=200, description="At most this many per page.")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="`next_cursor` of the previous page."),
]


def encode_cursor(position: tuple[datetime, uuid.UUID] | None) -> str | None:
    if position is None:
        return None
    created_at, delivery_id = position
    raw = f"{created_at.isoformat()}|{delivery_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, _, delivery_id = raw.partition("|")
        position = (datetime.fromisoformat(created_at), uuid.UUID(delivery_id))
        if position[0].tzinfo is None:
            raise ValueError("naive")
        return position
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            422,
            "invalid-cursor",
            "Ce curseur de page n'est pas valide : reprenez la liste depuis le début.",
        ) from None
