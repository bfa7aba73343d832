"""Dependencies of the notifier's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from servicekit.deps import BusDep as BusDep

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
